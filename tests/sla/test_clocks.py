"""Applied SLA: due times stored on the case (business hours, pauses, reopenings), the incremental pass,
breaches recorded exactly once, alerts (live event, webhook job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from compris.models import Case, CaseEvent, CaseStatus, Job, SlaBreach, SlaSettings
from compris.sla import clocks as sla
from tests.conftest import World
from tests.routing.helpers import case, frozen, inbound
from tests.sla.conftest import Network
from tests.sla.helpers import count as _count
from tests.sla.helpers import policy as _policy
from tests.sla.helpers import reply
from tests.sla.helpers import run_pass as _pass
from tests.sla.helpers import set_status as _status

PARIS = ZoneInfo("Europe/Paris")


def test_due_times_are_stored_and_the_pass_turns_at_risk_then_breached_once(world: World, network: Network) -> None:
    _policy(world, first_response_s=600, resolution_s=86400, warn_before_s=120)
    events: list[dict[str, Any]] = []
    world.runtime.hub.add_listener(events.append)
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        cid = inbound(world.runtime, world.account.id, "Where is my refund?", kind="dm")
        c = case(world.runtime, cid)
        assert c.sla_first_response_due == t0 + timedelta(minutes=10)
        assert c.sla_resolution_due == t0 + timedelta(days=1)
        assert c.sla_next_due_at == t0 + timedelta(minutes=10)
        assert c.sla_check_at == t0 + timedelta(minutes=8)
        assert c.sla_status == "ok"
        # nothing is due yet: the pass looks at no case
        assert _pass(world).checked == 0
        clock.advance(minutes=8, seconds=30)
        assert _pass(world).checked == 1
        assert case(world.runtime, cid).sla_status == "at_risk"
        clock.advance(minutes=2)
        result = _pass(world)
        assert result.checked == 1 and result.breaches == 1
        c = case(world.runtime, cid)
        assert c.sla_status == "breached"
        assert c.sla_next_due_at == t0 + timedelta(days=1)  # the resolution clock still runs
        # the scheduler running twice (or two of them) records nothing more
        assert _pass(world).checked == 0
        with world.runtime.db.transaction() as s:
            sla.refresh(s, world.runtime.publisher, [s.get(Case, cid)])  # type: ignore[list-item]
            sla.refresh(s, world.runtime.publisher, [s.get(Case, cid)])  # type: ignore[list-item]
        reply(world, cid)  # answered late: still one breach
        world.run_jobs()
    assert _count(world, SlaBreach) == 1
    assert _count(world, CaseEvent, CaseEvent.kind == "sla_breached") == 1
    with world.runtime.db.transaction() as s:
        b = s.scalars(select(SlaBreach)).one()
        assert (b.metric, b.cycle, b.breached_at) == ("first_response", 0, t0 + timedelta(minutes=10))
    if world.runtime.db.dialect == "sqlite":  # (on PostgreSQL live events arrive through LISTEN, not started here)
        sla_events = [e.get("sla_status") for e in events if e.get("change") == "sla"]
        assert sla_events[:3] == ["ok", "at_risk", "breached"]


def test_business_hours_across_a_weekend_and_dst(world: World) -> None:
    # Paris office hours; the customer writes on Friday 27 March 2026 at 16:55 (DST starts on Sunday 29)
    _policy(world, first_response_s=600, hours="mon-fri 09:00-17:00")
    t0 = datetime(2026, 3, 27, 16, 55, tzinfo=PARIS)
    with frozen(t0.astimezone(UTC)):
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
    due = case(world.runtime, cid).sla_first_response_due
    assert due is not None
    # 5 minutes on Friday, 5 on Monday morning (summer time now: 07:05 UTC)
    assert due.astimezone(PARIS) == datetime(2026, 3, 30, 9, 5, tzinfo=PARIS)
    assert due == datetime(2026, 3, 30, 7, 5, tzinfo=UTC)


def test_waiting_on_the_customer_pauses_and_their_answer_resumes(world: World, network: Network) -> None:
    _policy(world, first_response_s=3600, next_response_s=1800, resolution_s=4 * 3600)
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        cid = inbound(world.runtime, world.account.id, "My booking", kind="dm")
        clock.advance(minutes=30)
        reply(world, cid)
        world.run_jobs()  # sent: the first response counts
        _status(world, cid, CaseStatus.WAITING_CUSTOMER)  # after 30 minutes of resolution time
        c = case(world.runtime, cid)
        assert c.sla_status == "paused" and c.sla_resolution_due is None and c.sla_check_at is None
        clock.advance(hours=5)  # a long wait on the customer costs nothing
        inbound(world.runtime, world.account.id, "Here is the number", kind="dm")
        c = case(world.runtime, cid)
        assert c.status == CaseStatus.OPEN
        assert c.sla_next_response_due == clock.at + timedelta(minutes=30)
        assert c.sla_resolution_due == clock.at + timedelta(hours=3, minutes=30)
        assert c.sla_status == "ok"


def test_a_reopened_case_continues_its_resolution_clock(world: World) -> None:
    _policy(world, resolution_s=2 * 3600)
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        cid = inbound(world.runtime, world.account.id, "Lost bag", kind="dm")
        clock.advance(hours=1)
        _status(world, cid, CaseStatus.RESOLVED)
        assert case(world.runtime, cid).sla_status == "met"
        clock.advance(days=2)
        again = inbound(world.runtime, world.account.id, "Still no bag!", kind="dm")
        assert again == cid
        c = case(world.runtime, cid)
        assert c.status == CaseStatus.OPEN
        assert c.sla_resolution_due == clock.at + timedelta(hours=1)  # one hour was already used


def test_policy_chosen_by_channel_intent_and_priority(world: World) -> None:
    _policy(world, name="Urgent", min_priority=101, first_response_s=60)  # never matches (priority ≤ 100)
    _policy(world, name="Sandbox", networks=["sandbox"], first_response_s=900)
    _policy(world, name="Other", first_response_s=7200)
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with frozen(t0):
        cid = inbound(world.runtime, world.account.id, "Hi", kind="dm")
    assert case(world.runtime, cid).sla_first_response_due == t0 + timedelta(minutes=15)


def test_no_policy_means_no_sla(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hi", kind="dm")
    c = case(world.runtime, cid)
    assert c.sla_status is None and c.sla_check_at is None


def test_breach_alert_goes_to_the_webhook_once(world: World) -> None:
    _policy(world, first_response_s=60)
    with world.runtime.db.transaction() as s:
        s.add(SlaSettings(workspace_id=world.workspace_id, webhook_url="https://hooks.example/sla",
                          alert_at_risk=False))
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hi", kind="dm")
        clock.advance(minutes=5)
        _pass(world)
        _pass(world)
    with world.runtime.db.transaction() as s:
        jobs = list(s.scalars(select(Job).where(Job.kind == sla.WEBHOOK_JOB)))
    assert len(jobs) == 1
    assert jobs[0].payload["event"] == "sla.breached"
    assert jobs[0].payload["case_id"] == cid
    assert jobs[0].payload["breaches"][0]["metric"] == "first_response"


def test_the_webhook_job_posts_and_retries_on_failure(world: World) -> None:
    import httpx

    from compris.sla.tasks import send_webhook
    from compris.worker.queue import JobRun, Services

    with world.runtime.db.transaction() as s:
        s.add(SlaSettings(workspace_id=world.workspace_id, webhook_url="https://hooks.example/sla"))
    seen: list[httpx.Request] = []
    answers = iter([503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    base = world.runtime.services
    services = Services(base.db, base.publisher, httpx.Client(transport=httpx.MockTransport(handler)), base.settings)
    run = JobRun(services, 1, world.workspace_id, {"event": "sla.breached", "case_number": 1}, 1)
    try:
        send_webhook(run)
    except httpx.HTTPStatusError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a 503 must raise so that the queue retries")
    send_webhook(run)
    assert len(seen) == 2 and seen[1].headers["x-compris-event"] == "sla.breached"


def test_the_periodic_pass_job_runs_and_can_run_twice(world: World) -> None:
    from compris.worker.queue import enqueue

    _policy(world, first_response_s=60)
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        inbound(world.runtime, world.account.id, "Hi", kind="dm")
        clock.advance(minutes=2)
        for slot in range(2):
            with world.runtime.db.transaction() as s:
                enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind="sla.pass", payload={},
                        dedupe_key=f"test-pass-{slot}")
            world.run_jobs()
    assert _count(world, SlaBreach) == 1
