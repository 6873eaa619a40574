"""The SLA's real path (the pass turns a case at risk, then breached: its supervisors are told once each) and the
purge of old notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from compris.kit.clock import now
from compris.models import Notification
from compris.notifications import actions
from compris.notifications.tasks import PURGE_JOB
from compris.worker.queue import enqueue
from tests.conftest import World
from tests.notifications.helpers import add_user, new_case, notifications_of
from tests.notifications.test_listeners import note
from tests.routing.helpers import frozen, inbound
from tests.sla.helpers import policy, run_pass


def test_the_sla_pass_notifies_at_risk_then_breached_once_each(world: World) -> None:
    # given a 10-minute first response, warned 2 minutes before, and a supervisor
    supervisor = add_user(world, "Inès Laurent", "ines@acme.test", role="supervisor")
    policy(world, first_response_s=600, resolution_s=86400, warn_before_s=120)
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with frozen(t0) as clock:
        inbound(world.runtime, world.account.id, "Where is my refund?", kind="dm")
        clock.advance(minutes=8, seconds=30)
        run_pass(world)
        run_pass(world)
        assert [n["kind"] for n in notifications_of(world, supervisor)] == ["sla_at_risk"]
        clock.advance(minutes=2)
        run_pass(world)
        run_pass(world)
    # then the unassigned case's supervisors hear of each once; the agent of nothing
    assert [n["kind"] for n in notifications_of(world, supervisor)] == ["sla_at_risk", "sla_breached"]
    assert notifications_of(world, world.agent) == []


def test_old_notifications_are_purged_read_or_not(world: World) -> None:
    case_id = new_case(world)
    for i in range(3):
        note(world, world.admin, case_id, f"@Agent {i}")
    old, read_old, recent = notifications_of(world, world.agent)
    keep = world.runtime.settings.notification_retention_days
    with world.runtime.db.transaction() as s:
        for row_id, days in ((old["id"], keep + 1), (read_old["id"], keep + 5), (recent["id"], keep - 1)):
            row = s.get(Notification, row_id)
            assert row is not None
            row.created_at = now() - timedelta(days=days)
            if row_id == read_old["id"]:
                row.read_at = now()
    with world.runtime.db.transaction() as s:
        enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind=PURGE_JOB, payload={})
    world.run_jobs()
    assert [n["id"] for n in notifications_of(world, world.agent)] == [recent["id"]]
    with world.runtime.db.transaction() as s:
        assert actions.purge_before(s, now()) == 1
