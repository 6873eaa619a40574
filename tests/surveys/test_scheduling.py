"""When a survey is sent: one per resolution cycle, after the delay, unless a rule says no (recorded why)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris import events
from compris.models import CaseStatus, Message, SurveyState
from compris.surveys import rules
from tests.conftest import World
from tests.inbox.test_events import emitted
from tests.routing.helpers import frozen
from tests.surveys.helpers import (
    agent_replies,
    case,
    configure,
    customer_writes,
    fake_network,
    handled_case,
    kinds,
    set_status,
    surveys,
)


def test_a_resolution_schedules_a_survey_after_the_delay_attributed_to_the_agent(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world, delay_minutes=90)
    with frozen(datetime.now(UTC)) as clock:
        handled_case(world)
        with emitted(events.SurveySent, events.SurveySkipped) as seen:
            set_status(world, CaseStatus.RESOLVED)
            world.run_jobs()
            (survey,) = surveys(world)
            assert survey.state == SurveyState.SCHEDULED and seen == []
            assert survey.send_at == clock.at + timedelta(minutes=90)
            assert (survey.cycle, survey.agent_id, survey.network) == (1, world.agent.id, "sandbox")
            assert survey.channel_account_id == world.account.id and survey.contact_id == case(world).contact_id
            sent_before = len(network.calls)
            clock.advance(minutes=91)
            world.run_jobs()
    (survey,) = surveys(world)
    assert survey.state == SurveyState.SENT and survey.message_id is not None
    assert [type(e).__name__ for e in seen] == ["SurveySent"]
    (sent,) = network.calls[sent_before:]
    assert sent.visibility == "private" and sent.recipient is not None and sent.recipient.platform_user_id == "lea"
    assert [c.payload for c in sent.choices] == [f"csat:{survey.id}:{r}" for r in range(1, 6)]
    assert all(c.url and "/s/" in c.url for c in sent.choices)
    assert "1 (not at all) to 5" in sent.text and "http://testserver/s/" in sent.text
    assert "survey_sent" in kinds(world)
    with world.runtime.db.transaction() as s:
        message = s.get(Message, survey.message_id)
        assert message is not None and message.platform_extra["origin"] == "survey"
    # an automatic message: the case stays resolved and the survey is no agent reply
    assert case(world).status == CaseStatus.RESOLVED


def test_the_question_is_in_the_customers_language(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world)
    handled_case(world, "Bonjour, mon vol AF123 est annulé et je n'ai reçu aucune information, que faire ?")
    assert case(world).language == "fr"
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    (survey,) = surveys(world)
    assert survey.language == "fr"
    assert "Êtes-vous satisfait(e)" in network.calls[-1].text and "Ou répondez ici" in network.calls[-1].text


def test_a_language_of_the_admins_own_is_used_and_english_is_the_fallback(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world, questions={"en": "Rate us, please", "de": "Wie zufrieden waren Sie?"})
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    assert network.calls[-1].text.startswith("Rate us, please")


def test_reopened_and_resolved_again_gets_a_new_cycle_and_reopening_cancels(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world, delay_minutes=60, quiet_days=0)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    set_status(world, CaseStatus.OPEN)  # reopened before the survey went out
    (first,) = surveys(world)
    assert first.state == SurveyState.CANCELLED
    set_status(world, CaseStatus.RESOLVED)
    assert [(s.cycle, s.state) for s in surveys(world)] == [(1, "cancelled"), (2, "scheduled")]
    # the customer writes again: the resolved case reopens, the second survey is cancelled too
    customer_writes(world, "One more thing")
    agent_replies(world)
    set_status(world, CaseStatus.RESOLVED)
    assert [(s.cycle, s.state) for s in surveys(world)] == [(1, "cancelled"), (2, "cancelled"), (3, "scheduled")]


def test_the_send_job_cancels_a_survey_whose_case_was_reopened_meanwhile(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    calls = len(network.calls)
    with world.runtime.db.transaction() as s:  # reopened without going through the listeners (a raw change)
        from compris.inbox.queries import get_case
        from compris.surveys import actions
        c = get_case(s, world.workspace_id, 1)
        c.status = CaseStatus.RESOLVED
        actions.schedule(s, world.runtime.publisher, c)
        c.status = CaseStatus.OPEN
    world.run_jobs()
    assert [s.state for s in surveys(world)] == ["cancelled"] and len(network.calls) == calls


def _skipped(world: World) -> str | None:
    (survey,) = surveys(world)
    assert survey.state == SurveyState.SKIPPED
    return survey.skip_reason


def test_disabled_skips_without_a_timeline_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    handled_case(world)  # no settings at all: surveys are off
    with emitted(events.SurveySkipped) as seen:
        set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.DISABLED and len(seen) == 1
    assert "survey_skipped" not in kinds(world)


def test_no_agent_reply_skips(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    customer_writes(world)
    with world.runtime.db.transaction() as s:  # only an automatic message
        from compris.inbox import actions as inbox
        from compris.inbox.queries import get_case
        inbox.queue_outbound(s, world.runtime.publisher, case=get_case(s, world.workspace_id, 1),
                             text="We got your message", visibility="private", origin="auto_ack")
    world.run_jobs()
    set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.NO_REPLY
    assert "survey_skipped" in kinds(world)


def test_spam_skips(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    with world.runtime.db.transaction() as s:
        from compris.inbox.queries import get_case
        c = get_case(s, world.workspace_id, 1)
        c.triage = {**c.triage, "intent": "spam"}
    set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.SPAM


def test_recently_surveyed_skips(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world, quiet_days=30)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    customer_writes(world, "Another question")  # reopens the same case
    agent_replies(world)
    set_status(world, CaseStatus.RESOLVED)
    assert [(s.state, s.skip_reason) for s in surveys(world)] == [("sent", None),
                                                                  ("skipped", rules.RECENTLY_SURVEYED)]


def test_public_only_on_a_network_that_cannot_start_a_private_conversation_skips(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.connectors.sandbox import SandboxConnector
    fake_network(monkeypatch)
    monkeypatch.setattr(SandboxConnector, "can_start_private", False)
    configure(world)
    customer_writes(world, "Where is my bag?", kind="post")
    agent_replies(world, visibility="public")
    set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.PUBLIC_ONLY


def test_public_only_where_the_network_can_start_a_dm_sends_privately(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world)
    customer_writes(world, "Where is my bag?", kind="post")
    agent_replies(world, visibility="public")
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    (survey,) = surveys(world)
    assert survey.state == SurveyState.SENT
    assert network.calls[-1].visibility == "private" and network.calls[-1].thread_key == "dm-lea"


def test_window_closed_skips(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world, delay_minutes=60 * 24 * 8)  # the sandbox's private window is 7 days
    with frozen(datetime.now(UTC)) as clock:
        handled_case(world)
        set_status(world, CaseStatus.RESOLVED)
        clock.advance(days=8, minutes=1)
        world.run_jobs()
    assert _skipped(world) == rules.WINDOW_CLOSED


def test_internal_only_case_skips(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    with world.runtime.db.transaction() as s:  # the customer's messages are gone (deleted on the network)
        from compris.inbox.queries import get_case
        from compris.kit.clock import now
        c = get_case(s, world.workspace_id, 1)
        for m in s.scalars(select(Message).where(Message.case_id == c.id, Message.direction == "inbound")):
            m.deleted_at = now()
    set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.INTERNAL_ONLY


def test_a_survey_the_network_refuses_records_why(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    network.fail = True
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    assert _skipped(world) == rules.SEND_FAILED
    with world.runtime.db.transaction() as s:
        from compris.inbox.queries import get_case
        from tests.surveys.helpers import events_of
        (row,) = events_of(s, get_case(s, world.workspace_id, 1).id, "survey_skipped")
        assert "does not accept messages" in row.data["detail"]


def test_an_account_row_overrides_the_workspace(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world)
    configure(world, channel_account_id=world.account.id, enabled=False)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    assert _skipped(world) == rules.DISABLED


def test_one_survey_per_cycle(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_network(monkeypatch)
    configure(world, delay_minutes=60)
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    with world.runtime.db.transaction() as s:
        from compris.inbox.queries import get_case
        from compris.surveys import actions
        assert actions.schedule(s, world.runtime.publisher, get_case(s, world.workspace_id, 1)) is None
    assert len(surveys(world)) == 1


def test_the_survey_is_no_agent_answer_for_the_sla(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.sla import clocks
    fake_network(monkeypatch)
    configure(world)
    handled_case(world)
    c = case(world)
    with world.runtime.db.transaction() as s:
        replies_before = [e for e in clocks.timeline(s, [c.id])[c.id] if type(e).__name__ == "AgentReply"]
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    (survey,) = surveys(world)
    assert survey.state == SurveyState.SENT
    with world.runtime.db.transaction() as s:
        message = s.get(Message, survey.message_id)
        assert message is not None and message.delivery_state == "sent"
        replies_after = [e for e in clocks.timeline(s, [c.id])[c.id] if type(e).__name__ == "AgentReply"]
    assert len(replies_after) == len(replies_before)
    assert case(world).first_response_at == c.first_response_at


def test_faces_are_offered_on_the_faces_scale(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = fake_network(monkeypatch)
    configure(world, scale="faces5")
    handled_case(world)
    set_status(world, CaseStatus.RESOLVED)
    world.run_jobs()
    assert [c.label for c in network.calls[-1].choices] == ["😡", "🙁", "😐", "🙂", "😍"]
    assert surveys(world)[0].scale == "faces5"
