"""The follow-up pass: reminders before and after the due time, overdue once, on the partner's calendar, once even
when the pass runs twice or on two workers; answered, closed and cancelled escalations stop; reopened ones restart.
Both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from compris.bus import subscribed
from compris.escalation.tasks import FOLLOW_UP_JOB
from compris.events import EscalationOverdue, EscalationReminded
from compris.models import CaseEvent, Job
from compris.worker.queue import enqueue, run_pending
from tests.conftest import World
from tests.escalation import followup_helpers as h
from tests.routing.helpers import frozen, inbound

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday


def kinds(world: World, case_id: int) -> list[str]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def test_reminders_before_and_after_and_overdue_once(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id, "My booking is wrong")
        pid = h.partner(world)  # 24/7
        due = T0 + timedelta(hours=4)
        eid = h.escalate(world, case_id, pid, due)
        # the listener scheduled the first check: the reminder one hour before the due time
        assert h.escalation(world, eid).next_check_at == due - timedelta(hours=1)
        assert h.run_pass(world).checked == 0  # nothing has come: not even looked at

        clock.at = due - timedelta(hours=1)
        result = h.run_pass(world)
        assert (result.reminded, result.overdue) == (1, 0)
        assert h.run_pass(world).checked == 0  # the second run finds nothing to do
        row = h.escalation(world, eid)
        assert row.reminders_sent == 1 and row.overdue_at is None and row.next_check_at == due

        clock.at = due + timedelta(seconds=30)
        result = h.run_pass(world)
        assert (result.reminded, result.overdue) == (1, 1)  # overdue, and the "at the due time" reminder
        assert h.run_pass(world).checked == 0
        row = h.escalation(world, eid)
        assert row.overdue_at == clock.at and row.next_check_at == due + timedelta(hours=4)

        clock.at = due + timedelta(hours=4)
        assert h.run_pass(world).reminded == 1
        row = h.escalation(world, eid)
        assert row.reminders_sent == 3 and row.next_check_at == due + timedelta(hours=28)  # then every 1,440 min

    sent = h.reminders(world, eid)
    assert [(e.direction, e.via) for e in sent] == [("to_partner", "system")] * 3
    assert "waiting for your answer" in sent[0].text and "was due" in sent[1].text
    mails = h.mails(world)
    assert len(mails) == 3 and mails[0].to == ["desk@hotel.example"]
    assert [e.mail_message_id for e in sent] == [m.message_id for m in mails]
    timeline = kinds(world, case_id)
    assert timeline.count("escalation_reminded") == 3
    assert timeline.count("escalation_overdue") == 1
    assert timeline.count("escalation_mailed") == 3


def test_the_events_are_emitted(world: World) -> None:
    seen: list[object] = []
    with frozen(T0) as clock, subscribed(EscalationReminded, lambda s, p, e: seen.append(e)), \
            subscribed(EscalationOverdue, lambda s, p, e: seen.append(e)):
        case_id = inbound(world.runtime, world.account.id)
        eid = h.escalate(world, case_id, h.partner(world, reminders={"after_minutes": [0]}), T0 + timedelta(hours=1))
        clock.at = T0 + timedelta(hours=2)
        h.run_pass(world)
    overdue = [e for e in seen if isinstance(e, EscalationOverdue)]
    reminded = [e for e in seen if isinstance(e, EscalationReminded)]
    assert len(overdue) == 1 and overdue[0].escalation_id == eid
    assert overdue[0].due_at == (T0 + timedelta(hours=1)).isoformat()
    assert len(reminded) == 1 and reminded[0].when == "after" and reminded[0].number == 1


def test_missed_reminders_collapse_into_one(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        eid = h.escalate(world, case_id, h.partner(world), T0 + timedelta(hours=4))
        clock.at = T0 + timedelta(hours=20)  # no worker ran all day: before, at and 4 h after have all passed
        result = h.run_pass(world)
        assert (result.reminded, result.overdue) == (1, 1)
        assert h.escalation(world, eid).next_check_at == T0 + timedelta(hours=4 + 28)
    assert h.reminders(world, eid)[0].text.startswith("A reminder: your answer")


def test_two_escalations_of_one_case_and_another_case(world: World) -> None:
    with frozen(T0) as clock:
        case_a = inbound(world.runtime, world.account.id, author="a")
        case_b = inbound(world.runtime, world.account.id, author="b")
        hotel = h.partner(world, reminders={"after_minutes": [0]})
        carrier = h.partner(world, name="Carrier", reminders={"after_minutes": [0]}, emails=["ops@carrier.example"])
        e1 = h.escalate(world, case_a, hotel, T0 + timedelta(hours=1))
        e2 = h.escalate(world, case_a, carrier, T0 + timedelta(hours=2))
        e3 = h.escalate(world, case_b, hotel, T0 + timedelta(hours=1))
        clock.at = T0 + timedelta(hours=1)
        result = h.run_pass(world)
        assert (result.checked, result.reminded, result.overdue) == (2, 2, 2)
        assert h.escalation(world, e2).overdue_at is None
        clock.at = T0 + timedelta(hours=3)
        assert h.run_pass(world).overdue == 1
    assert all(h.escalation(world, e).next_check_at is None for e in (e1, e2, e3))  # no repeat: done
    assert [m.to for m in h.mails(world)] == [["desk@hotel.example"]] * 2 + [["ops@carrier.example"]]


def test_answered_closed_and_cancelled_stop_the_reminders(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        pid = h.partner(world)
        answered = h.escalate(world, case_id, pid, T0 + timedelta(hours=4))
        closed = h.escalate(world, case_id, pid, T0 + timedelta(hours=4))
        cancelled = h.escalate(world, case_id, pid, T0 + timedelta(hours=4))
        h.answer(world, answered)
        h.close(world, closed)
        h.close(world, cancelled, "cancelled")
        assert all(h.escalation(world, e).next_check_at is None for e in (answered, closed, cancelled))
        clock.at = T0 + timedelta(days=3)
        assert h.run_pass(world).checked == 0
    assert h.mails(world) == []


def test_a_status_change_without_its_event_is_not_reminded(world: World) -> None:
    from compris.models import Escalation

    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        eid = h.escalate(world, case_id, h.partner(world), T0 + timedelta(hours=4))
        with world.runtime.db.transaction() as s:
            row = s.get(Escalation, eid)
            assert row is not None
            row.status = "closed"  # a write that forgot its event
        clock.at = T0 + timedelta(hours=5)
        assert h.run_pass(world).reminded == 0
        assert h.escalation(world, eid).next_check_at is None
    assert h.mails(world) == []


def test_a_reopened_escalation_gets_a_fresh_schedule(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        eid = h.escalate(world, case_id, h.partner(world, reminders={"after_minutes": [0]}), T0 + timedelta(hours=1))
        clock.at = T0 + timedelta(hours=1)
        assert h.run_pass(world).overdue == 1
        h.close(world, eid)
        clock.at = T0 + timedelta(hours=2)
        h.reopen(world, eid, T0 + timedelta(hours=5))
        row = h.escalation(world, eid)
        assert row.overdue_at is None and row.next_check_at == T0 + timedelta(hours=5)
        clock.at = T0 + timedelta(hours=5)
        result = h.run_pass(world)
        assert (result.reminded, result.overdue) == (1, 1)
    assert kinds(world, case_id).count("escalation_overdue") == 2
    assert len(h.reminders(world, eid)) == 2


def test_weekend_on_the_partners_business_calendar(world: World) -> None:
    friday = datetime(2026, 12, 4, 16, tzinfo=PARIS)
    monday_11 = datetime(2026, 12, 7, 11, tzinfo=PARIS)
    with frozen(friday.astimezone(UTC)) as clock:
        case_id = inbound(world.runtime, world.account.id)
        pid = h.partner(world, hours="mon-fri 09:00-18:00", language="fr")
        eid = h.escalate(world, case_id, pid, monday_11)  # 4 business hours from Friday 16:00
        assert h.escalation(world, eid).next_check_at == datetime(2026, 12, 7, 10, tzinfo=PARIS)
        clock.at = datetime(2026, 12, 5, 12, tzinfo=PARIS)  # Saturday: nothing
        assert h.run_pass(world).checked == 0
        clock.at = datetime(2026, 12, 7, 10, tzinfo=PARIS)
        assert h.run_pass(world).reminded == 1
        clock.at = monday_11
        assert h.run_pass(world).overdue == 1
        assert h.escalation(world, eid).next_check_at == datetime(2026, 12, 7, 15, tzinfo=PARIS)
    texts = [e.text for e in h.reminders(world, eid)]
    assert texts[0].startswith("Pour rappel") and "2026-12-07 11:00" in texts[0]


def test_the_job_on_two_workers_reminds_once(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        eids = [h.escalate(world, case_id, h.partner(world, name=f"P{i}", reminders={"after_minutes": [0]}),
                           T0 + timedelta(hours=1)) for i in range(3)]
        run_pending(world.runtime.services)  # the briefs' e-mails: only the two follow-up jobs are left queued
        clock.at = T0 + timedelta(hours=1)
        with world.runtime.db.transaction() as s:  # the same slot enqueued twice (two schedulers)
            for n in range(2):
                enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind=FOLLOW_UP_JOB, payload={},
                        dedupe_key=f"test:{n}")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait(timeout=10)
                run_pending(world.runtime.services, limit=1)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(Job.status).where(Job.dedupe_key == "test:1")) == "done"
    assert all(len(h.reminders(world, e)) == 1 for e in eids)
    assert len(h.mails(world)) == 3


def test_a_partner_without_address_is_marked_overdue_without_mail(world: World) -> None:
    with frozen(T0) as clock:
        case_id = inbound(world.runtime, world.account.id)
        pid = h.partner(world, emails=[""], reminders={"after_minutes": [0]})
        eid = h.escalate(world, case_id, pid, T0 + timedelta(minutes=30))
        clock.at = T0 + timedelta(hours=1)
        result = h.run_pass(world)
        assert (result.reminded, result.overdue) == (0, 1)
    assert h.reminders(world, eid) == [] and h.mails(world) == []
