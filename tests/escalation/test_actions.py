"""The escalation lifecycle: escalate, follow up, close, cancel, reopen, revoke links; the case's status and the
customer SLA's pause follow the escalations; the partner's answer reopens the case (our listener)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from compris import bus
from compris.escalation import actions, listeners
from compris.events import (
    EscalationAnswered,
    EscalationClosed,
    EscalationCreated,
    EscalationFollowedUp,
    EscalationReopened,
    StatusChanged,
)
from compris.kit.errors import Conflict, Invalid, NotFound
from compris.models import Case, CaseStatus, Escalation, EscalationStatus, Exchange, Message
from tests.conftest import World
from tests.escalation.core_helpers import (
    calendar,
    emitted,
    escalate,
    escalation,
    events_of,
    exchanges,
    kinds,
    partner,
    step,
)
from tests.routing.helpers import case, frozen, inbound
from tests.sla.helpers import policy, set_status

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def test_escalating_hands_the_case_to_the_partner(world: World) -> None:
    # given a customer's case and a partner answering within 4 hours, 24/7
    cid = inbound(world.runtime, world.account.id, "My booking 4521 at the hotel is lost", kind="dm")
    pid = partner(world, due_minutes=240)
    # when the agent escalates it
    with frozen(T0), emitted(EscalationCreated, StatusChanged) as seen:
        eid = escalate(world, cid, pid, "Please confirm booking 4521")
    # then the escalation waits for the partner, with its brief, a reply token and the default due time
    e = escalation(world, eid)
    assert e.status == EscalationStatus.OPEN and e.brief == "Please confirm booking 4521"
    assert len(e.reply_token) >= 30 and e.due_at == T0 + timedelta(hours=4)
    assert e.previous_case_status == CaseStatus.NEW and e.shared == {"message_ids": [], "upload_ids": [],
                                                                      "personal_data": False}
    assert [(x.kind, x.direction, x.text) for x in exchanges(world, eid)] == [
        ("brief", "to_partner", "Please confirm booking 4521")]
    # the case waits on the partner, through the one status path, and the timeline says so
    assert case(world.runtime, cid).status == CaseStatus.WAITING_PARTNER
    assert [type(ev).__name__ for ev in seen] == ["StatusChanged", "EscalationCreated"]
    created = seen[1]
    assert isinstance(created, EscalationCreated) and created.escalation_id == eid and created.partner_id == pid
    assert created.due_at == (T0 + timedelta(hours=4)).isoformat() and created.actor_user_id == world.agent.id
    assert kinds(world, cid)[-2:] == ["escalated", "status_changed"]
    row = events_of(world, cid, "escalated")[0]
    assert row["partner"] == "Hôtel des Arts" and row["escalation_id"] == eid and row["personal_data"] is False


def test_the_default_due_time_counts_on_the_partners_calendar_across_a_weekend(world: World) -> None:
    # given a partner open mon-fri 09:00-17:00 in Paris, 4 business hours to answer
    hours = calendar(world)
    pid = partner(world, due_minutes=240, business_hours_id=hours)
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    # when escalated on Friday at 16:00 Paris time (15:00 UTC)
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    with frozen(friday):
        eid = escalate(world, cid, pid)
    # then one hour counts on Friday, three on Monday morning: 12:00 Paris (11:00 UTC)
    assert escalation(world, eid).due_at == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)


def test_the_agent_may_set_the_due_time_but_not_in_the_past(world: World) -> None:
    pid = partner(world)
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    with frozen(T0):
        with pytest.raises(Invalid, match="future"):
            escalate(world, cid, pid, due_at=T0 - timedelta(minutes=1))
        eid = escalate(world, cid, pid, due_at=T0 + timedelta(days=2))
    assert escalation(world, eid).due_at == T0 + timedelta(days=2)


def test_what_is_shared_is_the_cases_own_and_the_personal_data_choice_is_recorded(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Write me at jane@example.com", kind="dm")
    other = inbound(world.runtime, world.account.id, "Another one", author="cust-2", kind="dm")
    pid = partner(world)
    with world.runtime.db.transaction() as s:
        mine = s.scalar(select(Message.id).where(Message.case_id == cid))
        theirs = s.scalar(select(Message.id).where(Message.case_id == other))
    assert mine is not None and theirs is not None
    with pytest.raises(NotFound, match="no such message on this case"):
        escalate(world, cid, pid, message_ids=[theirs])
    with pytest.raises(NotFound, match="no such file on this case"):
        escalate(world, cid, pid, upload_ids=[999999])
    eid = escalate(world, cid, pid, message_ids=[mine], personal_data=True)
    assert escalation(world, eid).shared == {"message_ids": [mine], "upload_ids": [], "personal_data": True}
    assert events_of(world, cid, "escalated")[0]["personal_data"] is True


def test_refusals(world: World, world_factory: object) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    pid = partner(world)
    with pytest.raises(Invalid, match="brief"):
        escalate(world, cid, pid, "   ")
    with pytest.raises(NotFound, match="no such partner"):
        escalate(world, cid, pid + 1000)
    # a deactivated partner takes no new escalation
    with world.runtime.db.transaction() as s:
        from compris.models import User
        admin = s.get(User, world.admin.id)
        assert admin is not None
        actions.set_partner_active(s, world.runtime.publisher, actor=admin, partner_id=pid, active=False)
    with pytest.raises(Invalid, match="deactivated"):
        escalate(world, cid, pid)
    # a resolved case is reopened first
    set_status(world, cid, "resolved")
    pid2 = partner(world, "Refunds", kind="team")
    with pytest.raises(Conflict, match="reopen it first"):
        escalate(world, cid, pid2)
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Escalation)).all() == []


def test_another_workspaces_partner_is_not_found(world: World, world_factory: object) -> None:
    other = world_factory("globex")  # type: ignore[operator]
    theirs = partner(other)
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    with pytest.raises(NotFound):
        escalate(world, cid, theirs)


def test_a_template_can_be_the_brief(world: World) -> None:
    from compris.models import ReplyTemplate
    with world.runtime.db.transaction() as s:
        t = ReplyTemplate(workspace_id=world.workspace_id, name="Hotel check",
                          bodies={"en": "Could you check this booking, please?"})
        s.add(t)
        s.flush()
        tid = t.id
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    eid = escalate(world, cid, partner(world), "", template_id=tid)
    e = escalation(world, eid)
    assert e.brief == "Could you check this booking, please?" and e.template_id == tid


def test_follow_up_close_cancel_reopen_and_revoke(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    pid = partner(world, due_minutes=60)
    with frozen(T0) as clock:
        eid = escalate(world, cid, pid)
        # follow up
        with emitted(EscalationFollowedUp) as seen:
            exchange = step(world, eid, "follow_up", text="Any news?")
        assert isinstance(seen[0], EscalationFollowedUp) and seen[0].exchange_id == exchange.id
        assert [x.kind for x in exchanges(world, eid)] == ["brief", "follow_up"]
        assert "escalation_followed_up" in kinds(world, cid)
        # close: the case, no longer waiting on anyone, is open again
        with emitted(EscalationClosed, StatusChanged) as seen:
            step(world, eid, "close")
        e = escalation(world, eid)
        assert e.status == EscalationStatus.CLOSED and e.outcome == "resolved" and e.closed_at == T0
        assert [type(ev).__name__ for ev in seen] == ["EscalationClosed", "StatusChanged"]
        assert isinstance(seen[0], EscalationClosed) and seen[0].outcome == "resolved"
        assert case(world.runtime, cid).status == CaseStatus.OPEN
        with pytest.raises(Conflict):
            step(world, eid, "follow_up", text="Hello?")
        with pytest.raises(Conflict):
            step(world, eid, "cancel")
        # reopen: a new due time, old links die, the case waits on the partner again
        clock.advance(hours=1)
        with emitted(EscalationReopened) as seen:
            step(world, eid, "reopen")
        e = escalation(world, eid)
        assert e.status == EscalationStatus.OPEN and e.link_version == 2 and e.outcome is None
        assert e.due_at == T0 + timedelta(hours=2)
        assert isinstance(seen[0], EscalationReopened) and seen[0].due_at == e.due_at.isoformat()
        assert case(world.runtime, cid).status == CaseStatus.WAITING_PARTNER
        with pytest.raises(Conflict):
            step(world, eid, "reopen")
        # revoke the links
        step(world, eid, "revoke_links")
        e = escalation(world, eid)
        assert e.link_version == 3 and e.links_revoked_at == T0 + timedelta(hours=1)
        # cancel
        step(world, eid, "cancel")
        e = escalation(world, eid)
        assert e.status == EscalationStatus.CANCELLED and e.outcome == "cancelled"
        assert case(world.runtime, cid).status == CaseStatus.OPEN
    assert [k for k in kinds(world, cid) if k.startswith("escalat")] == [
        "escalated", "escalation_followed_up", "escalation_closed", "escalation_reopened",
        "escalation_links_revoked", "escalation_cancelled"]


def test_several_escalations_the_case_waits_until_the_last_one_ends(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    hotel = partner(world)
    refunds = partner(world, "Refunds", kind="team")
    first = escalate(world, cid, hotel)
    second = escalate(world, cid, refunds)
    assert escalation(world, second).previous_case_status == CaseStatus.WAITING_PARTNER
    step(world, first, "cancel")
    assert case(world.runtime, cid).status == CaseStatus.WAITING_PARTNER  # the team still has it
    step(world, second, "close")
    assert case(world.runtime, cid).status == CaseStatus.OPEN


def test_ending_an_escalation_leaves_a_case_the_agent_moved_elsewhere(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    eid = escalate(world, cid, partner(world))
    set_status(world, cid, "waiting_customer")
    step(world, eid, "close")
    assert case(world.runtime, cid).status == CaseStatus.WAITING_CUSTOMER


def _answer(world: World, eid: int) -> None:
    """What the partner's answer does (the portal's action, another helper's): the exchange, the status, the event."""
    with world.runtime.db.transaction() as s:
        e = s.get(Escalation, eid)
        assert e is not None
        x = Exchange(workspace_id=e.workspace_id, escalation_id=e.id, direction="from_partner", kind="answer",
                     text="Done: the room is kept", via="portal")
        s.add(x)
        s.flush()
        e.status = EscalationStatus.ANSWERED
        bus.emit(s, world.runtime.publisher, EscalationAnswered(
            workspace_id=e.workspace_id, case_id=e.case_id, escalation_id=e.id, partner_id=e.partner_id,
            exchange_id=x.id))


def test_the_partners_answer_reopens_the_case_and_tells_the_agents_live(world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert listeners.reopen_case_on_answer in [r.listener for r in bus.listeners_of(EscalationAnswered)]
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    eid = escalate(world, cid, partner(world))
    published: list[dict[str, object]] = []
    publisher = world.runtime.publisher
    original = publisher.publish

    def publish(session: object, workspace_id: int, kind: str, **data: object) -> None:
        published.append({"workspace_id": workspace_id, "kind": kind, **data})
        original(session, workspace_id, kind, **data)  # type: ignore[arg-type]

    monkeypatch.setattr(publisher, "publish", publish)
    _answer(world, eid)
    assert case(world.runtime, cid).status == CaseStatus.OPEN
    reasons = [d.get("reason") for d in events_of(world, cid, "status_changed")]
    assert reasons[-1] == "the partner answered"
    answered = [p for p in published if p.get("change") == "escalation_answered"]
    assert answered and answered[0]["escalation_id"] == eid and answered[0]["partner"] == "Hôtel des Arts"
    # closing it afterwards leaves the open case open
    step(world, eid, "close")
    assert case(world.runtime, cid).status == CaseStatus.OPEN


def test_an_answer_on_a_case_no_longer_waiting_changes_no_status(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    eid = escalate(world, cid, partner(world))
    set_status(world, cid, "waiting_customer")
    _answer(world, eid)
    assert case(world.runtime, cid).status == CaseStatus.WAITING_CUSTOMER


def test_a_customer_writing_on_a_case_waiting_on_the_partner_keeps_it_waiting(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    escalate(world, cid, partner(world))
    again = inbound(world.runtime, world.account.id, "Any news?", kind="dm")
    assert again == cid
    assert case(world.runtime, cid).status == CaseStatus.WAITING_PARTNER


def test_the_customer_sla_pauses_while_waiting_on_the_partner_and_resumes_after(world: World) -> None:
    # given a 10-minute first response target
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        assert case(world.runtime, cid).sla_first_response_due == T0 + timedelta(minutes=10)
        # when the case is escalated two minutes later
        clock.advance(minutes=2)
        eid = escalate(world, cid, partner(world))
        c = case(world.runtime, cid)
        assert c.sla_status == "paused" and c.sla_first_response_due is None
        # an hour on, the escalation is closed: the clock runs again with its 8 minutes left
        clock.advance(hours=1)
        step(world, eid, "close")
        c = case(world.runtime, cid)
        assert c.status == CaseStatus.OPEN and c.sla_status == "ok"
        assert c.sla_first_response_due == T0 + timedelta(minutes=70)


def test_the_sla_resumes_when_the_partner_answers(world: World) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
        eid = escalate(world, cid, partner(world))
        assert case(world.runtime, cid).sla_status == "paused"
        clock.advance(minutes=30)
        _answer(world, eid)
        c = case(world.runtime, cid)
        assert c.sla_status == "ok" and c.sla_first_response_due == T0 + timedelta(minutes=40)


def test_an_agent_of_another_workspace_cannot_touch_the_escalation(world: World, world_factory: object) -> None:
    other = world_factory("globex")  # type: ignore[operator]
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    eid = escalate(world, cid, partner(world))
    with pytest.raises(NotFound):
        step(other, eid, "close")
    with world.runtime.db.transaction() as s:
        c = s.get(Case, cid)
        from compris.models import User
        agent = s.get(User, other.agent.id)
        assert c is not None and agent is not None
        with pytest.raises(NotFound):
            actions.escalate(s, world.runtime.publisher, actor=agent, case=c, partner_id=1, brief="x")
