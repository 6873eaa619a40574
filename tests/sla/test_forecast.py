"""Breach prediction with the queue ahead (issue 5): the pure decision, then the stored status of a team's queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from compris.models import Case, SlaPolicy
from compris.sla import clocks as sla
from tests.conftest import World
from tests.routing.helpers import case, frozen, inbound, team

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_forecast_status_decision() -> None:
    due = T0 + timedelta(minutes=60)
    # 2 first responses per hour: the case's turn comes after (queue_ahead + 1) * 30 minutes
    assert sla.forecast_status("ok", due, T0, 0, 2.0) == "ok"
    assert sla.forecast_status("ok", due, T0, 1, 2.0) == "ok"  # exactly on time is not a breach
    assert sla.forecast_status("ok", due, T0, 2, 2.0) == "at_risk"
    # unknown throughput, no pending first response, or a status that is not ok: unchanged
    assert sla.forecast_status("ok", due, T0, 50, None) == "ok"
    assert sla.forecast_status("ok", None, T0, 50, 2.0) == "ok"
    assert sla.forecast_status("breached", due, T0, 50, 2.0) == "breached"
    assert sla.forecast_status("paused", due, T0, 50, 2.0) == "paused"
    assert sla.forecast_status("met", due, T0, 50, 2.0) == "met"
    # the warning window still applies on its own (it is in the status given)
    assert sla.forecast_status("at_risk", due, T0, 0, 2.0) == "at_risk"


def test_prediction_check_at() -> None:
    due = T0 + timedelta(minutes=60)
    warn = due - timedelta(minutes=5)
    # ok: looked at again when it would turn predicted with the same queue and throughput
    assert sla.prediction_check_at(warn, due, T0, 0, 2.0, predicted=False) == T0 + timedelta(minutes=30)
    # already past the instant it turns predicted (it is not, by the status given): right away
    assert sla.prediction_check_at(warn, due, T0, 0, 0.1, predicted=False) == T0 + timedelta(milliseconds=1)
    # predicted only: looked at again soon, so that it returns to ok when the queue drains
    assert sla.prediction_check_at(warn, due, T0, 3, 2.0, predicted=True) == T0 + sla.PREDICTION_RECHECK
    # no throughput or no pending first response: unchanged
    assert sla.prediction_check_at(warn, due, T0, 3, None, predicted=False) == warn
    assert sla.prediction_check_at(warn, None, T0, 3, 2.0, predicted=False) == warn


def test_queue_ahead_counts_earlier_pending_first_responses() -> None:
    f = sla.Forecast(throughput={1: 2.0}, queues={1: [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]})
    assert f.queue_ahead(1, T0) == 0
    assert f.queue_ahead(1, T0 + timedelta(minutes=2)) == 2
    assert f.queue_ahead(1, T0 + timedelta(hours=1)) == 3
    assert f.queue_ahead(2, T0 + timedelta(hours=1)) == 0


def test_a_case_far_down_the_queue_is_at_risk_early(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        s.add(SlaPolicy(workspace_id=world.workspace_id, name="Default", first_response_s=3600, warn_before_s=300))
        care_id = care.id
    with frozen(T0 - timedelta(hours=2)) as clock:
        answered = [inbound(world.runtime, world.account.id, "Hi", author=f"old-{i}", kind="dm") for i in range(6)]
        with world.runtime.db.transaction() as s:  # 6 first responses in the last 3 hours: 2 per hour
            s.execute(update(Case).where(Case.id.in_(answered)).values(
                first_response_at=T0 - timedelta(hours=1), status="resolved", sla_first_response_due=None,
                sla_check_at=None))
        clock.at = T0
        ids = []
        for i in range(3):  # one a minute; the team answers one every 30 minutes
            ids.append(inbound(world.runtime, world.account.id, "Where is my order?", author=f"c{i}", kind="dm"))
            clock.advance(minutes=1)
        first, second, third = (case(world.runtime, cid) for cid in ids)
        assert {first.team_id, second.team_id, third.team_id} == {care_id}
        assert first.sla_status == "ok" and first.sla_check_at == T0 + timedelta(minutes=30)
        assert second.sla_status == "ok"
        # two ahead: its turn comes in 90 minutes, its first response is due in 60 → at risk now, not at 55 minutes
        assert third.sla_status == "at_risk"
        assert third.sla_check_at == T0 + timedelta(minutes=2) + sla.PREDICTION_RECHECK
        # the two ahead are answered: the pass finds the third back to ok
        with world.runtime.db.transaction() as s:
            s.execute(update(Case).where(Case.id.in_(ids[:2])).values(
                first_response_at=T0 + timedelta(minutes=3), status="resolved", sla_first_response_due=None,
                sla_check_at=None))
        clock.advance(minutes=5)
        with world.runtime.db.transaction() as s:
            assert sla.run_pass(s, world.runtime.publisher).checked == 1
        assert case(world.runtime, ids[2]).sla_status == "ok"
