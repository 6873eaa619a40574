"""Notifications made by the listeners: each kind, once per occurrence, never to oneself, never across
workspaces, only to active users who have not muted the kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from compris import bus
from compris.events import EscalationAnswered, SlaAtRisk, SlaBreached, SurveyAnswered
from compris.inbox.actions import cases as inbox
from compris.kit.clock import now
from compris.models import Case, Survey, User
from compris.notifications import actions as notifications
from tests.conftest import World
from tests.escalation.core_helpers import partner
from tests.notifications.helpers import add_user, as_user, new_case, notifications_of


def note(world: World, author: User, case_id: int, text: str) -> int:
    return as_user(world, author, lambda s, actor, case: inbox.add_note(
        s, world.runtime.publisher, actor=actor, case=_case(case), text=text).id, case_id)


def assign(world: World, actor: User | None, case_id: int, assignee: User | None) -> None:
    with world.runtime.db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        inbox.assign(s, world.runtime.publisher, actor=s.get(User, actor.id) if actor else None, case=case,
                     assignee=s.get(User, assignee.id) if assignee else None)


def emit(world: World, event: Any) -> None:
    with world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, event)


def _case(case: Case | None) -> Case:
    assert case is not None
    return case


# --- mentions -------------------------------------------------------------------------------------------------


def test_a_mention_in_a_note_notifies_the_colleague_with_the_note(world: World) -> None:
    # given a case and a colleague with an accented name
    helene = add_user(world, "Hélène Dupré", "helene@acme.test")
    case_id = new_case(world)
    # when the agent mentions her without the accent
    note_id = note(world, world.agent, case_id, "@helene can you call the hotel about the room?")
    # then she has one notification pointing at the note, with its excerpt; the author has none
    [made] = notifications_of(world, helene)
    assert made["kind"] == "mention" and made["case_id"] == case_id and made["message_id"] == note_id
    assert made["actor_user_id"] == world.agent.id
    assert made["excerpt"] == "@helene can you call the hotel about the room?"
    assert notifications_of(world, world.agent) == []


def test_mentioning_oneself_an_unknown_name_or_an_inactive_user_notifies_nobody(world: World) -> None:
    gone = add_user(world, "Paul Gone", "paul@acme.test", active=False)
    case_id = new_case(world)
    note(world, world.agent, case_id, "@Agent note to self; @Nobody; @Paul; write to admin@acme.test")
    assert notifications_of(world, world.agent) == []
    assert notifications_of(world, gone) == []
    assert notifications_of(world, world.admin) == []  # an e-mail address in the text is not a mention


def test_another_workspaces_users_are_never_notified(world: World, world_factory: Any) -> None:
    # given a user of another workspace with the same first name as nobody here
    other = world_factory("globex")
    stranger = add_user(other, "Zoé Autre", "zoe@globex.test")
    case_id = new_case(world)
    note(world, world.agent, case_id, "@Zoé @zoe @Zoé Autre please look")
    assert notifications_of(other, stranger) == []


def test_a_long_note_gives_a_short_excerpt(world: World) -> None:
    sophie = add_user(world, "Sophie Bernard", "sophie@acme.test")
    case_id = new_case(world)
    note(world, world.agent, case_id, "@Sophie " + "word " * 100)
    [made] = notifications_of(world, sophie)
    assert len(made["excerpt"]) <= notifications.EXCERPT_MAX and made["excerpt"].endswith("…")


# --- assignment -----------------------------------------------------------------------------------------------


def test_being_assigned_a_case_by_someone_else_notifies_but_taking_it_oneself_does_not(world: World) -> None:
    case_id = new_case(world)
    assign(world, world.agent, case_id, world.agent)  # takes it
    assert notifications_of(world, world.agent) == []
    assign(world, world.agent, case_id, world.admin)  # gives it to the admin
    [made] = notifications_of(world, world.admin)
    assert made["kind"] == "assigned" and made["actor_user_id"] == world.agent.id
    assign(world, world.admin, case_id, world.agent)  # and back: a new occurrence
    assert [n["kind"] for n in notifications_of(world, world.agent)] == ["assigned"]


def test_routing_assignment_notifies_and_each_assignment_is_one_occurrence(world: World) -> None:
    case_id = new_case(world)
    assign(world, None, case_id, world.agent)  # the system (routing)
    assign(world, None, case_id, world.admin)
    assign(world, None, case_id, world.agent)  # back to the agent: notified again (a new assignment)
    assert [n["kind"] for n in notifications_of(world, world.agent)] == ["assigned", "assigned"]


# --- partner answers, SLA, low ratings --------------------------------------------------------------------------


def test_a_partner_answer_notifies_the_assignee_once(world: World) -> None:
    case_id = new_case(world)
    assign(world, world.admin, case_id, world.agent)
    partner_id = partner(world, "Hôtel des Arts")
    answered = EscalationAnswered(workspace_id=world.workspace_id, case_id=case_id, escalation_id=1,
                                  partner_id=partner_id, exchange_id=77)
    emit(world, answered)
    emit(world, answered)  # delivered twice
    answers = [n for n in notifications_of(world, world.agent) if n["kind"] == "escalation_answered"]
    assert len(answers) == 1 and answers[0]["data"]["partner"] == "Hôtel des Arts"


def test_sla_of_an_unassigned_case_goes_to_the_supervisors(world: World) -> None:
    supervisor = add_user(world, "Inès Laurent", "ines@acme.test", role="supervisor")
    case_id = new_case(world)
    breached = SlaBreached(workspace_id=world.workspace_id, case_id=case_id, metric="first_response", cycle=1,
                           breached_at=now().isoformat())
    emit(world, breached)
    emit(world, breached)
    for user in (supervisor, world.admin):
        assert [n["kind"] for n in notifications_of(world, user)] == ["sla_breached"]
    assert notifications_of(world, world.agent) == []


def test_sla_at_risk_and_breached_go_to_the_assignee(world: World) -> None:
    add_user(world, "Inès Laurent", "ines@acme.test", role="supervisor")
    case_id = new_case(world)
    assign(world, world.admin, case_id, world.agent)
    risk = SlaAtRisk(workspace_id=world.workspace_id, case_id=case_id, due_at="2026-12-06T10:00:00+00:00")
    emit(world, risk)
    emit(world, risk)
    emit(world, SlaAtRisk(workspace_id=world.workspace_id, case_id=case_id, due_at="2026-12-06T12:00:00+00:00"))
    emit(world, SlaBreached(workspace_id=world.workspace_id, case_id=case_id, metric="first_response", cycle=1,
                            breached_at=now().isoformat()))
    assert [n["kind"] for n in notifications_of(world, world.agent)] == [
        "assigned", "sla_at_risk", "sla_at_risk", "sla_breached"]


def test_a_low_rating_notifies_the_supervisors_once_and_a_good_one_nobody(world: World) -> None:
    supervisor = add_user(world, "Inès Laurent", "ines@acme.test", role="supervisor")
    case_id = new_case(world)
    with world.runtime.db.transaction() as s:
        low, good = (Survey(workspace_id=world.workspace_id, case_id=case_id, cycle=c) for c in (1, 2))
        s.add_all([low, good])
        s.flush()
        low_id, good_id = low.id, good.id
    for survey_id, rating in ((low_id, 1), (low_id, 1), (good_id, 5)):
        emit(world, SurveyAnswered(workspace_id=world.workspace_id, case_id=case_id, survey_id=survey_id,
                                   rating=rating, score=0 if rating == 1 else 100, via="button"))
    [made] = notifications_of(world, supervisor)
    assert made["kind"] == "low_rating" and made["data"]["rating"] == 1


# --- preferences ------------------------------------------------------------------------------------------------


def test_a_muted_kind_is_not_notified(world: World) -> None:
    sophie = add_user(world, "Sophie Bernard", "sophie@acme.test")

    def mute(s: Session, actor: User, _case: Case | None) -> None:
        notifications.save_preferences(s, world.runtime.publisher, actor, enabled=["assigned"], browser=False)

    as_user(world, sophie, mute)
    case_id = new_case(world)
    note(world, world.agent, case_id, "@Sophie look")
    assert notifications_of(world, sophie) == []
    assign(world, world.agent, case_id, sophie)
    assert [n["kind"] for n in notifications_of(world, sophie)] == ["assigned"]


def test_a_breach_found_long_after_it_happened_notifies_nobody(world: World) -> None:
    # (a new policy applied to old cases, history loaded by the demo: nobody can act on it any more)
    case_id = new_case(world)
    assign(world, world.admin, case_id, world.agent)
    emit(world, SlaBreached(workspace_id=world.workspace_id, case_id=case_id, metric="resolution", cycle=1,
                            breached_at=(now() - timedelta(days=2)).isoformat()))
    assert [n["kind"] for n in notifications_of(world, world.agent)] == ["assigned"]
