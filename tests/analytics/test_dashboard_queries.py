"""The dashboard's round trips (issue 18: no page over 200 ms): the volume breakdowns read in one query give what
one query per breakdown gave, and the workspace's time zone is read once per session, not once per figure."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from compris.analytics import measures, queries, reports
from compris.models import Workspace
from tests.analytics.helpers import period
from tests.analytics.test_queries import DAY, _history
from tests.conftest import World


def _statements(session: Session) -> tuple[list[str], Any]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    return seen, count


def _dashboard_statements(session: Session, workspace_id: int, selection: Any) -> tuple[Any, list[str]]:
    """The dashboard and the SQL statements it sent."""
    seen, count = _statements(session)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        return reports.dashboard(session, workspace_id, selection), seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_volume_breakdowns_in_one_query_equal_one_query_per_breakdown(world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _history(world)
    two_days = period(DAY, DAY + timedelta(days=1))
    with world.runtime.db.transaction() as s:
        volume = queries.volume(s, world.workspace_id, two_days)
        apart = {name: {str(value): n for value, n, _t in
                        queries.grouped(s, world.workspace_id, two_days, (measures.MSG_IN,), (name,)) if n}
                 for name in queries.VOLUME_BREAKDOWNS}
        monkeypatch.setattr(queries, "FORCE_CUBES", True)
        from_cubes = queries.volume(s, world.workspace_id, two_days)
    found = {"network": volume.by_network, "account": volume.by_account, "visibility": volume.by_visibility,
             "intent": volume.by_intent, "sentiment": volume.by_sentiment, "language": volume.by_language,
             "topic": volume.by_topic}
    assert {name: {x.key: x.value for x in slices} for name, slices in found.items()} == apart
    assert volume == from_cubes
    assert {x.key for x in volume.by_language} == {"fr", "en"} and sum(x.value for x in volume.by_intent) == 2


def test_the_dashboard_reads_the_workspace_once(world: World) -> None:
    _history(world)
    with world.runtime.db.transaction() as s:
        selection = reports.parse(s, world.workspace_id, {"from": DAY.isoformat(),
                                                          "to": (DAY + timedelta(days=1)).isoformat()})
        board, seen = _dashboard_statements(s, world.workspace_id, selection)
    assert board.volume.messages == 2
    assert sum(" FROM workspaces" in q for q in seen) <= 1  # was one per figure and period (17 on the demo)
    assert sum("analytics_slices.dim IN" in q for q in seen) == 2  # the volume breakdowns: one query per period


def test_with_three_filters_the_dashboards_figures_share_one_read_of_the_cube_per_period(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three filters: no slice or weekly set answers them, so the figures read the full cube; they share one read
    per period (every metric they need, by metric, day, bucket and policy) instead of a scan each, with the same
    figures."""
    _history(world)
    params = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat(), "intent": "complaint",
              "language": "fr", "network": "sandbox"}
    with world.runtime.db.transaction() as s:
        selection = reports.parse(s, world.workspace_id, params)
        board, seen = _dashboard_statements(s, world.workspace_id, selection)
        daily = [q for q in seen if "FROM analytics_daily" in q]
        shared = [q for q in daily if "GROUP BY analytics_daily.metric, analytics_daily.day, analytics_daily.bucket, "
                  "analytics_daily.policy_id" in q]
        people = [q for q in daily if "GROUP BY analytics_daily.metric, analytics_daily.agent_id, "
                  "analytics_daily.team_id, analytics_daily.bucket" in q]
        breakdowns = [q for q in daily if "analytics_daily.network, analytics_daily.channel_account_id" in q]
        assert (len(shared), len(people), len(breakdowns)) == (2, 1, 2)  # the period and the one before; agents once
        assert sorted(daily) == sorted(shared + people + breakdowns)  # was a scan per figure (about twenty)
        monkeypatch.setattr(queries, "shared_reads", lambda _session: nullcontext())
        apart = reports.dashboard(s, world.workspace_id, selection)
    assert board == apart
    assert board.volume.messages == 1 and board.rate.needing == 1


@pytest.mark.parametrize("days", [2, 15])
def test_under_two_filters_of_a_pair_the_dashboards_figures_read_the_pairs_slices_not_the_cube(
        world: World, monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """Two filters of a pair: every figure without a grouping (volume, response rate and times on either clock, SLA,
    surveys, escalations, expected wait, the guard's findings) reads the pair's daily slices, over a short period
    and over the days around whole weeks alike; only the agents' table and the volume's breakdowns, grouped by
    another dimension, read the cube there. The figures are the cube's."""
    _history(world)
    start = DAY - timedelta(days=days - 2)  # 15 days: the weekend before, a whole week, the Monday and Tuesday after
    params = {"from": start.isoformat(), "to": (DAY + timedelta(days=1)).isoformat(), "intent": "complaint",
              "language": "fr"}
    with world.runtime.db.transaction() as s:
        selection = reports.parse(s, world.workspace_id, params)
        board, seen = _dashboard_statements(s, world.workspace_id, selection)
        daily = [q for q in seen if "FROM analytics_daily" in q]
        assert not [q for q in daily if "GROUP BY analytics_daily.metric, analytics_daily.day" in q]
        assert all("analytics_daily.agent_id" in q or "analytics_daily.network" in q for q in daily)
        monkeypatch.setattr(queries, "FORCE_CUBES", True)
        from_cubes = reports.dashboard(s, world.workspace_id, selection)
    assert board == from_cubes
    assert board.volume.messages == 1 and board.rate.needing == 1


def test_the_time_zone_follows_a_change_in_the_same_session(world: World) -> None:
    with world.runtime.db.transaction() as s:
        assert queries.zone(s, world.workspace_id).key == "UTC"
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        workspace.timezone = "Europe/Paris"
        s.flush()
        assert queries.zone(s, world.workspace_id).key == "Europe/Paris"
    with world.runtime.db.transaction() as s:
        assert queries.zone(s, world.workspace_id).key == "Europe/Paris"
        assert queries.zone(s, 999_999).key == "UTC"


def test_week_split_cuts_a_period_into_whole_weeks_and_the_days_around_them() -> None:
    monday = DAY  # 2026-03-02
    assert queries.week_split(period(monday, monday + timedelta(days=6))) == (monday, monday, [])
    assert queries.week_split(period(monday + timedelta(days=1), monday + timedelta(days=7))) is None
    first, last, edges = queries.week_split(period(monday - timedelta(days=3), monday + timedelta(days=16))) or (
        None, None, [])
    assert (first, last) == (monday, monday + timedelta(days=7))
    assert [(e.start, e.end) for e in edges] == [(monday - timedelta(days=3), monday - timedelta(days=1)),
                                                  (monday + timedelta(days=14), monday + timedelta(days=16))]
    year = queries.week_split(period(monday, monday + timedelta(days=364), intent="x"))
    assert year is not None and year[1] == monday + timedelta(weeks=51) and year[2][0].intent == "x"
    assert [(e.start, e.end) for e in year[2]] == [(monday + timedelta(weeks=52), monday + timedelta(days=364))]


def _weeks_of_history(world: World) -> None:
    """Cases on 17 days (a Thursday to the second Saturday after): two intents, two languages, answered by the
    agent or not, so that every weekly set has something."""
    from compris.analytics.rollups import mark_dirty
    from tests.analytics.helpers import message, new_case
    from tests.analytics.test_queries import MONDAY

    ids = []
    with world.runtime.db.transaction() as s:
        for k in range(17):
            at = MONDAY - timedelta(days=4) + timedelta(days=k, hours=k % 5)
            intent, language = ("complaint", "fr") if k % 3 else ("question", "en")
            case = new_case(s, world, at)
            case.triage, case.language = {"intent": intent}, language
            case.assignee_id = world.agent.id if k % 2 else None
            message(s, world, case.id, at, inbound=True, triage={"intent": intent}, language=language)
            if k % 2:
                message(s, world, case.id, at + timedelta(minutes=20 * k), inbound=False, delivery_state="sent",
                        author_user_id=world.agent.id)
            ids.append(case.id)
        mark_dirty(s, world.workspace_id, ids)
    from tests.analytics.helpers import catch_up

    catch_up(world)


@pytest.mark.parametrize("filters", [{}, {"intent": "complaint"}, {"language": "fr", "intent": "complaint"},
                                     {"agent_id": "agent"}, {"agent_id": "agent", "intent": "complaint"},
                                     {"language": "fr", "agent_id": "agent"}, {"network": "sandbox"}])
def test_a_long_period_reads_the_weekly_sets_and_the_same_figures_as_the_cube(
        world: World, monkeypatch: pytest.MonkeyPatch, filters: dict[str, Any]) -> None:
    """Over the whole weeks of a period the figures read ``analytics_weekly`` (the agent paired with another filter
    too), the days around them at day grain, and come to what the cube alone gives."""
    _weeks_of_history(world)
    f = period(DAY - timedelta(days=5), DAY + timedelta(days=12),
               **{k: (world.agent.id if v == "agent" else v) for k, v in filters.items()})
    with world.runtime.db.transaction() as s:
        seen, count = _statements(s)
        event.listen(s.get_bind(), "before_cursor_execute", count)
        try:
            found = (queries.volume(s, world.workspace_id, f), queries.response_rate(s, world.workspace_id, f),
                     queries.response_times(s, world.workspace_id, f), queries.agents(s, world.workspace_id, f),
                     queries.sla(s, world.workspace_id, f), queries.csat(s, world.workspace_id, f),
                     queries.heatmap(s, world.workspace_id, f))
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", count)
        monkeypatch.setattr(queries, "FORCE_CUBES", True)
        cubes = (queries.volume(s, world.workspace_id, f), queries.response_rate(s, world.workspace_id, f),
                 queries.response_times(s, world.workspace_id, f), queries.agents(s, world.workspace_id, f),
                 queries.sla(s, world.workspace_id, f), queries.csat(s, world.workspace_id, f),
                 queries.heatmap(s, world.workspace_id, f))
    assert found == cubes
    assert found[0].messages > 0 and found[1].responded > 0
    weekly = [q for q in seen if "analytics_weekly" in q]
    assert len(weekly) >= 3
    if len(filters) == 2 and "agent_id" not in filters:  # the pair's own sets: alone, by agent, by breakdown, hours
        assert sum("analytics_weekly.grp" in q for q in weekly) >= 3
        assert sum("analytics_daily" in q or "analytics_hourly" in q for q in seen) >= 1  # the days around
        assert any("FROM analytics_slices" in q for q in seen)  # the daily trends: the pair's daily slices
    assert sum(sum(row) for row in found[-1].cells) == found[0].messages


@pytest.mark.parametrize("filters", [{}, {"intent": "complaint"}, {"language": "fr", "intent": "complaint"},
                                     {"agent_id": "agent", "intent": "complaint"}])
def test_over_31_days_the_trends_are_weekly(world: World, monkeypatch: pytest.MonkeyPatch,
                                            filters: dict[str, Any]) -> None:
    """Over 31 days a trend has a point per week: the first from the period's first day to the Sunday, then one
    per Monday; each the sum of its days (the same from the weekly sets as from the cube's days)."""
    _weeks_of_history(world)
    f = period(DAY - timedelta(days=9), DAY + timedelta(days=30),  # a Friday, 40 days
               **{k: (world.agent.id if v == "agent" else v) for k, v in filters.items()})
    daily = period(f.start, f.start + timedelta(days=30), **{k: getattr(f, k) for k in
                                                            ("intent", "language", "agent_id")})
    assert queries.trend_step(f) == "week" and queries.trend_step(daily) == "day"
    with world.runtime.db.transaction() as s:
        volume, rate = queries.volume(s, world.workspace_id, f), queries.response_rate(s, world.workspace_id, f)
        times = queries.response_times(s, world.workspace_id, f)
        days = queries.volume(s, world.workspace_id, daily)
        monkeypatch.setattr(queries, "FORCE_CUBES", True)
        assert (queries.volume(s, world.workspace_id, f), queries.response_rate(s, world.workspace_id, f),
                queries.response_times(s, world.workspace_id, f)) == (volume, rate, times)
    starts = [p.at.date() for p in volume.trend_messages]
    assert starts[0] == f.start and starts[1] == DAY - timedelta(days=7)
    assert all(d.weekday() == 0 for d in starts[1:]) and len(starts) == 7 and starts[-1] <= f.end
    assert [p.at for p in rate.trend] == [p.at for p in volume.trend_messages] == [
        p.at for p in times.trend_first_response]
    assert sum(p.value or 0 for p in volume.trend_messages) == volume.messages > 0
    per_week: dict[Any, float] = {}
    for p in days.trend_messages:
        key = max(p.at.date() - timedelta(days=p.at.weekday()), f.start)
        per_week[key] = per_week.get(key, 0) + (p.value or 0)
    assert {p.at.date(): p.value for p in volume.trend_messages if p.at.date() in per_week} == per_week
