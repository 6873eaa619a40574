"""Answers on the channel: claimed on the survey's case (kept, not reopening it), recorded once, the comment after
the rating, low ratings alerted (and reopening when set), non-answers left as ordinary messages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris import events
from compris.models import CaseStatus, Message, SurveyState
from compris.sla import clocks
from compris.surveys import actions
from tests.conftest import World
from tests.inbox.test_events import emitted
from tests.surveys.helpers import (
    case,
    configure,
    events_of,
    fake_network,
    handled_case,
    inbound,
    kinds,
    set_status,
    surveys,
)


def _sent_survey(world: World, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> int:
    fake_network(monkeypatch)
    configure(world, **settings)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    (survey,) = surveys(world)
    assert survey.state == SurveyState.SENT
    return survey.id


def _published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The live case events surveys publish (delivered after the commit, on either database)."""
    seen: list[dict[str, Any]] = []
    real = actions.publish_case

    def record(session: Any, publisher: Any, case: Any, change: str, **extra: Any) -> None:
        seen.append({"change": change, "number": case.number, **extra})
        real(session, publisher, case, change, **extra)

    monkeypatch.setattr(actions, "publish_case", record)
    return seen


def test_a_button_answer_is_recorded_on_the_case_without_reopening_it(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch)
    with emitted(events.MessageClaimed, events.MessageReceived, events.SurveyAnswered, events.StatusChanged) as seen:
        message = inbound(world, "⭐⭐⭐⭐⭐", choice=f"csat:{survey_id}:5")
    assert message is not None
    assert sorted(type(e).__name__ for e in seen) == ["MessageClaimed", "SurveyAnswered"]
    (survey,) = surveys(world)
    assert (survey.rating, survey.score, survey.answered_via, survey.state) == (5, 100, "button", "answered")
    c = case(world)
    assert c.status == CaseStatus.RESOLVED and message.case_id == c.id
    assert message.platform_extra["claimed_by"] == "surveys"
    assert "survey_answered" in kinds(world)


@pytest.mark.parametrize(("text", "rating"), [("5", 5), ("4/5", 4), ("⭐⭐⭐", 3), ("1", 1)])
def test_a_text_rating_is_understood(world: World, monkeypatch: pytest.MonkeyPatch, text: str, rating: int) -> None:
    _sent_survey(world, monkeypatch, ask_comment=False)
    inbound(world, text)
    (survey,) = surveys(world)
    assert (survey.rating, survey.answered_via) == (rating, "text")
    assert case(world).status == CaseStatus.RESOLVED


def test_a_message_that_is_not_a_rating_reopens_the_case_as_usual(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _sent_survey(world, monkeypatch)
    with emitted(events.MessageClaimed, events.MessageReceived) as seen:
        inbound(world, "My bag still has not arrived, this is unacceptable")
    assert [type(e).__name__ for e in seen] == ["MessageReceived"]
    (survey,) = surveys(world)
    assert survey.rating is None and survey.state == SurveyState.SENT
    assert case(world).status == CaseStatus.OPEN


def test_a_button_pressed_twice_is_recorded_once_and_the_second_press_reopens_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch, ask_comment=False)
    inbound(world, "⭐⭐⭐⭐", choice=f"csat:{survey_id}:4")
    with emitted(events.MessageClaimed, events.SurveyAnswered, events.StatusChanged) as seen:
        second = inbound(world, "⭐⭐", choice=f"csat:{survey_id}:2")
    assert second is not None and second.platform_extra["claimed_by"] == "surveys"
    assert second.platform_extra["claimed_as"] == "duplicate"  # the case page says it was ignored
    assert [type(e).__name__ for e in seen] == ["MessageClaimed"]
    (survey,) = surveys(world)
    assert survey.rating == 4
    assert case(world).status == CaseStatus.RESOLVED
    assert kinds(world).count("survey_answered") == 1


def test_the_comment_question_goes_once_and_the_next_message_is_the_comment(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch)
    inbound(world, "5")
    world.run_jobs()
    (survey,) = surveys(world)
    assert survey.comment_asked_at is not None
    with world.runtime.db.transaction() as s:
        asked = s.scalars(select(Message).where(Message.direction == "outbound").order_by(Message.id.desc())).first()
        assert asked is not None and "tell us more" in asked.text and asked.platform_extra["origin"] == "survey"
    with emitted(events.SurveyCommented, events.MessageReceived) as seen:
        comment = inbound(world, "The agent was great, but the bag arrived broken!")
    assert [type(e).__name__ for e in seen] == ["SurveyCommented"]
    (survey,) = surveys(world)
    assert survey.comment == "The agent was great, but the bag arrived broken!"
    assert comment is not None and survey.comment_message_id == comment.id
    assert comment.triage.get("sentiment")  # triaged like any message
    assert case(world).status == CaseStatus.RESOLVED
    # a later message is an ordinary one again
    inbound(world, "Also, my invoice is wrong")
    assert case(world).status == CaseStatus.OPEN
    assert surveys(world)[0].id == survey_id


def test_a_low_rating_alerts_the_supervisors_and_reopens_when_set(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch, low_rating=2, reopen_on_low=True, ask_comment=False)
    published = _published(monkeypatch)
    inbound(world, "⭐", choice=f"csat:{survey_id}:1")
    alerts = [e for e in published if e.get("change") == "survey_low"]
    assert len(alerts) == 1 and alerts[0]["rating"] == 1 and world.admin.id in alerts[0]["notify"]
    c = case(world)
    assert c.status == CaseStatus.OPEN
    with world.runtime.db.transaction() as s:
        (row,) = events_of(s, c.id, "reopened")
        assert row.data.get("reason") == "low satisfaction rating"


def test_a_good_rating_neither_alerts_nor_reopens(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch, low_rating=2, reopen_on_low=True, ask_comment=False)
    published = _published(monkeypatch)
    inbound(world, "⭐⭐⭐", choice=f"csat:{survey_id}:3")
    assert not [e for e in published if e.get("change") == "survey_low"]
    assert case(world).status == CaseStatus.RESOLVED


def test_a_low_rating_without_reopen_keeps_the_case_resolved(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch, low_rating=2, ask_comment=False)
    inbound(world, "⭐⭐", choice=f"csat:{survey_id}:2")
    assert case(world).status == CaseStatus.RESOLVED


def test_another_customers_payload_is_not_theirs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch)
    with emitted(events.MessageClaimed) as seen:
        inbound(world, "5", author="someone-else", choice=f"csat:{survey_id}:5")
    assert seen == [] and surveys(world)[0].rating is None


def test_a_claimed_answer_is_no_new_request_for_the_sla(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _sent_survey(world, monkeypatch, ask_comment=False)
    c = case(world)
    with world.runtime.db.transaction() as s:
        before = [type(e).__name__ for e in clocks.timeline(s, [c.id])[c.id]]
    inbound(world, "⭐⭐⭐⭐⭐", choice=f"csat:{survey_id}:5")
    with world.runtime.db.transaction() as s:
        after = [type(e).__name__ for e in clocks.timeline(s, [c.id])[c.id]]
    assert after == before  # no Inbound event for the claimed answer


def test_a_second_rating_while_the_comment_is_awaited_is_claimed_and_ignored(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _sent_survey(world, monkeypatch)
    inbound(world, "5")
    with emitted(events.MessageClaimed, events.SurveyAnswered, events.SurveyCommented, events.StatusChanged) as seen:
        inbound(world, "4")
    assert [type(e).__name__ for e in seen] == ["MessageClaimed"]
    (survey,) = surveys(world)
    assert (survey.rating, survey.comment) == (5, None)
    assert case(world).status == CaseStatus.RESOLVED


def test_an_answer_after_the_link_days_is_an_ordinary_message(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.routing.helpers import frozen
    survey_id = _sent_survey(world, monkeypatch, link_days=1)
    with frozen(datetime.now(UTC) + timedelta(days=2)), emitted(events.MessageClaimed) as seen:
        inbound(world, "⭐⭐⭐⭐⭐", choice=f"csat:{survey_id}:5")
        inbound(world, "5")
    # not the survey's answers (its link expired): ordinary messages; being satisfied answers on the resolved case,
    # they are kept there without reopening it (issue 20)
    assert [getattr(e, "by", None) for e in seen] == ["inbox", "inbox"] and surveys(world)[0].rating is None
    assert case(world).status == CaseStatus.RESOLVED
