"""The jobs: the rollup job takes the marked cases (through the real queue), and the presence sample counts each
online agent once per minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from compris.analytics import queries, rollups, tasks
from compris.models import AgentOnline, AgentProfile, AnalyticsDirty, Case, Presence
from compris.worker.queue import BACKGROUND_LANE, HANDLERS, LANES, PERIODIC, enqueue
from tests.analytics.conftest import Network
from tests.analytics.helpers import dirty, period
from tests.conftest import World
from tests.replies.helpers import customer_writes
from tests.routing.helpers import frozen

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_jobs_are_periodic_and_in_the_background_lane() -> None:
    # rollups are work no customer waits for: never ahead of an inbound message or a send (issue 22)
    assert PERIODIC[tasks.ROLLUP_JOB].every == timedelta(seconds=10)
    assert PERIODIC[tasks.PRESENCE_JOB].every == timedelta(minutes=1)
    assert tasks.ROLLUP_JOB in HANDLERS
    assert LANES[tasks.ROLLUP_JOB] == LANES[tasks.PRESENCE_JOB] == BACKGROUND_LANE


def test_the_rollup_job_takes_the_marked_cases(world: World, network: Network) -> None:
    with frozen(MONDAY):
        customer_writes(world, "Hello there")
        assert dirty(world) >= 1
        with world.runtime.db.transaction() as s:
            enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind=tasks.ROLLUP_JOB, payload={})
        world.run_jobs()
    assert dirty(world) == 0
    with world.runtime.db.transaction() as s:
        assert queries.volume(s, world.workspace_id, period(MONDAY.date())).messages == 1


def test_time_online_is_sampled_once_per_agent_and_minute(world: World) -> None:
    with world.runtime.db.transaction() as s:
        s.add(AgentProfile(workspace_id=world.workspace_id, user_id=world.agent.id, presence=Presence.ONLINE,
                           last_seen_at=MONDAY))
        s.add(AgentProfile(workspace_id=world.workspace_id, user_id=world.admin.id, presence=Presence.ONLINE,
                           last_seen_at=MONDAY - timedelta(hours=1)))  # the page was closed an hour ago
    with world.runtime.db.transaction() as s:
        assert rollups.sample_presence(s, MONDAY + timedelta(seconds=10)) == 1
        assert rollups.sample_presence(s, MONDAY + timedelta(seconds=40)) == 1  # the same minute again
        rollups.sample_presence(s, MONDAY + timedelta(seconds=70))
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AgentOnline)) == 2
        people = queries.agents(s, world.workspace_id, period(MONDAY.date()))
    assert [(r.id, r.online_s) for r in people.agents] == [(world.agent.id, 120.0)]


def test_time_online_is_kept_per_local_day_and_rebuilt_from_the_minutes(world: World) -> None:
    """Minutes around midnight in Paris fall in Paris' days (the report's days); a rebuild (after a change of time
    zone, or from a day) recomputes the days from the minutes; a minute sampled twice counts once."""
    from compris.models import AgentOnlineDay, Workspace

    paris_midnight = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 00:00 on 3 March in Paris (UTC+1)
    with world.runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.timezone = "Europe/Paris"
        s.add(AgentProfile(workspace_id=world.workspace_id, user_id=world.agent.id, presence=Presence.ONLINE,
                           last_seen_at=paris_midnight + timedelta(minutes=5)))
    with world.runtime.db.transaction() as s:
        for minute in (-2, -1, 0, 1, 2, 2):  # two minutes of 2 March, three of 3 March (the last one twice)
            rollups.sample_presence(s, paris_midnight + timedelta(minutes=minute, seconds=5))

    def days() -> dict[str, int]:
        with world.runtime.db.transaction() as s:
            return {d.isoformat(): m for d, m in s.execute(select(AgentOnlineDay.day, AgentOnlineDay.minutes)
                                                            .order_by(AgentOnlineDay.day))}

    def online(day: int) -> float:
        with world.runtime.db.transaction() as s:
            people = queries.agents(s, world.workspace_id, period(MONDAY.date() + timedelta(days=day)))
        return sum(r.online_s for r in people.agents)

    assert days() == {"2026-03-02": 2, "2026-03-03": 3}
    assert (online(0), online(1)) == (120.0, 180.0)
    with world.runtime.db.transaction() as s:  # the figures move with the time zone once rebuilt
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.timezone = "UTC"
        assert rollups.rebuild_presence(s, world.workspace_id) == 5
    assert days() == {"2026-03-02": 5}
    with world.runtime.db.transaction() as s:
        s.execute(AgentOnlineDay.__table__.delete())  # type: ignore[attr-defined]
        assert rollups.rebuild_presence(s, world.workspace_id, MONDAY.date() + timedelta(days=1)) == 0
        rollups.rebuild(s, world.workspace_id)  # the whole rebuild recomputes them too
    assert days() == {"2026-03-02": 5}


def test_a_case_is_marked_once_per_transaction(world: World, network: Network) -> None:
    with frozen(MONDAY):
        customer_writes(world, "Hello")
    with world.runtime.db.transaction() as s:
        s.execute(AnalyticsDirty.__table__.delete())  # type: ignore[attr-defined]
        case_id = s.scalar(select(Case.id))
        assert case_id is not None
        for _ in range(3):
            rollups.mark_dirty(s, world.workspace_id, [case_id, case_id])
        with s.begin_nested():  # a savepoint keeps its own marks (it may roll back)
            rollups.mark_dirty(s, world.workspace_id, [case_id])
    assert dirty(world) == 2
    with world.runtime.db.transaction() as s:
        rollups.mark_dirty(s, world.workspace_id, [case_id])  # a new transaction marks again
    assert dirty(world) == 3
