"""Rollups kept incrementally equal a from-scratch computation, on random histories (hypothesis).

Each example writes a random history into a fresh workspace step by step (customer messages, replies sent, failed,
queued, automatic or notes, a failed reply sent later, statuses, assignments, transfers, merges, surveys, triage
changes), and after each step recomputes the touched cases now, twice (a redelivered event), or only later (the job
catching up). At the end the rollups must equal what ``rebuild`` computes from the raw data, cell for cell, and the
per-metric totals must equal the sum of the pure contributions of the final histories."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from compris.analytics import measures, queries, rollups
from compris.models import Case, CaseStatus, Message, Survey
from tests.analytics.helpers import catch_up, event, message, new_case, period, rebuild, snapshot
from tests.conftest import World

START = datetime(2026, 3, 27, 20, 0, tzinfo=UTC)  # a Friday evening, across the change to summer time in Paris
_SLUGS = itertools.count()

op = st.one_of(
    st.tuples(st.just("in"), st.integers(0, 2), st.sampled_from(["question", "complaint", "spam"]),
              st.sampled_from(["public", "private"])),
    st.tuples(st.just("reply"), st.integers(0, 2), st.sampled_from(["sent", "failed", "queued", "delivered"]),
              st.sampled_from(["agent", "admin", "auto_ack", "note", "echo", "survey"])),
    st.tuples(st.just("flip"), st.integers(0, 2)),
    st.tuples(st.just("status"), st.integers(0, 2),
              st.sampled_from(["open", "resolved", "closed", "waiting_customer", "waiting_partner", "snoozed"])),
    st.tuples(st.just("assign"), st.integers(0, 2), st.sampled_from(["agent", "admin", None])),
    st.tuples(st.just("team"), st.integers(0, 2), st.sampled_from([101, 102])),
    st.tuples(st.just("merge"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("survey"), st.integers(0, 2), st.sampled_from([None, 1, 4, 5])),
    st.tuples(st.just("triage"), st.integers(0, 2), st.sampled_from(["question", "complaint"])),
)
step = st.tuples(op, st.integers(0, 600), st.sampled_from(["now", "twice", "later"]))


class Story:
    def __init__(self, world: World) -> None:
        self.world = world
        self.cases: dict[int, int] = {}  # index -> case id
        self.at = START
        self.cycles: dict[int, int] = {}
        self.users = {"agent": world.agent.id, "admin": world.admin.id}

    def apply(self, operation: tuple[Any, ...]) -> list[int]:
        kind, index = operation[0], operation[1]
        w = self.world
        with w.runtime.db.transaction() as s:
            if kind == "in":
                if index not in self.cases:
                    self.cases[index] = new_case(s, w, self.at).id
                message(s, w, self.cases[index], self.at, inbound=True, visibility=operation[3],
                        triage={"intent": operation[2], "sentiment": "negative", "topic": "delay"}, language="fr")
                event(s, w, self.cases[index], self.at, "message_received")
                return [self.cases[index]]
            case_id = self.cases.get(index)
            if case_id is None:
                return []
            if kind == "reply":
                state, who = operation[2], operation[3]
                extra: dict[str, Any] = {}
                author = self.users.get(who)
                if who in ("auto_ack", "survey"):
                    extra = {"origin": who}
                visibility = "note" if who == "note" else "public"
                message(s, w, case_id, self.at, inbound=False, visibility=visibility, delivery_state=state,
                        author_user_id=author if who != "note" else self.users["agent"], extra=extra,
                        sent_at=self.at + timedelta(seconds=30))
            elif kind == "flip":
                failed = s.scalars(select(Message).where(Message.case_id == case_id,
                                                         Message.delivery_state == "failed")).first()
                if failed is None:
                    return []
                failed.delivery_state, failed.sent_at = "sent", self.at
            elif kind == "status":
                case = s.get(Case, case_id)
                assert case is not None
                to = operation[2]
                kinds = {"resolved": "resolved", "closed": "closed"}
                event(s, w, case_id, self.at, kinds.get(to, "status_changed"), self.users["agent"],
                      from_status=case.status, to_status=to)
                case.status = to
            elif kind == "assign":
                case = s.get(Case, case_id)
                assert case is not None
                assignee = self.users.get(operation[2]) if operation[2] else None
                event(s, w, case_id, self.at, "assigned" if assignee else "unassigned", assignee_id=assignee)
                case.assignee_id = assignee
            elif kind == "team":
                event(s, w, case_id, self.at, "transferred", team_id=operation[2], previous_team_id=None)
            elif kind == "merge":
                source_id = self.cases.get(operation[2])
                if source_id is None or source_id == case_id:
                    return []
                for m in s.scalars(select(Message).where(Message.case_id == source_id)):
                    m.case_id = case_id
                event(s, w, case_id, self.at, "case_merged", from_case_id=source_id)
                event(s, w, source_id, self.at, "closed", from_status="open", to_status="closed")
                source = s.get(Case, source_id)
                assert source is not None
                source.status = CaseStatus.CLOSED
                return [case_id, source_id]
            elif kind == "survey":
                cycle = self.cycles[case_id] = self.cycles.get(case_id, 0) + 1
                rating = operation[2]
                s.add(Survey(workspace_id=w.workspace_id, case_id=case_id, cycle=cycle, network="sandbox",
                             channel_account_id=w.account.id, state="answered" if rating else "sent",
                             sent_at=self.at, rating=rating, score=(rating - 1) * 25 if rating else None,
                             answered_at=self.at + timedelta(minutes=3) if rating else None,
                             agent_id=self.users["agent"], created_at=self.at))
            elif kind == "triage":
                case = s.get(Case, case_id)
                assert case is not None
                case.triage = {"intent": operation[2], "sentiment": "neutral"}
            return [case_id]


def _recompute(world: World, ids: list[int]) -> None:
    with world.runtime.db.transaction() as s:
        rollups.recompute(s, ids)


def _mark(world: World, ids: list[int]) -> None:
    with world.runtime.db.transaction() as s:
        rollups.mark_dirty(s, world.workspace_id, ids)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_incremental_rollups_equal_a_rebuild(world_factory: Callable[[str], World], steps: list[Any]) -> None:
    world = world_factory(f"rand{next(_SLUGS)}")
    with world.runtime.db.transaction() as s:
        from compris.models import Workspace

        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        ws.timezone = "Europe/Paris"
    story = Story(world)
    for operation, minutes, when in steps:
        story.at += timedelta(minutes=minutes)
        touched = story.apply(operation)
        if not touched:
            continue
        if when == "now":
            _recompute(world, touched)
        elif when == "twice":
            _recompute(world, touched)
            _mark(world, touched)
            catch_up(world)
            _recompute(world, touched)
        else:
            _mark(world, touched)
    catch_up(world)
    kept = snapshot(world)
    # the rollups are the sum of the pure contributions of the final histories
    with world.runtime.db.transaction() as s:
        loader = rollups.Loader(s)
        histories = loader.histories(list(story.cases.values()))
        expected: dict[str, list[float]] = {}
        for history in histories.values():
            for metric, (n, total) in measures.totals(
                    measures.contribution(history, loader.context(history)).entries).items():
                cell = expected.setdefault(metric, [0, 0.0])
                cell[0] += n
                cell[1] += total
        assert rollups.rollup_sums(s, world.workspace_id) == {
            m: (int(n), round(t, 3)) for m, (n, t) in expected.items() if n or t}
    # a figure read from the slices is the figure read from the full cubes
    # (a Thursday to a Wednesday: a whole week read from the weekly sets, the days around it at day grain; and a
    # week alone; a period with no whole week reads the days only)
    days = period(START.date() - timedelta(days=1), START.date() + timedelta(days=12))
    week = period(START.date() + timedelta(days=3), START.date() + timedelta(days=9))
    with world.runtime.db.transaction() as s:
        for f in (days, replace(days, team_id=101), replace(days, agent_id=world.agent.id),
                  replace(days, intent="question"), replace(days, network="sandbox"), replace(days, language="fr"),
                  replace(days, visibility="private", clock="business"), replace(days, team_id=102, intent="spam"),
                  replace(days, intent="question", language="fr"), replace(days, network="sandbox", team_id=101),
                  replace(days, agent_id=world.agent.id, intent="question"), week, replace(week, team_id=101),
                  replace(week, language="fr", network="sandbox"), replace(week, agent_id=world.agent.id),
                  period(START.date() + timedelta(days=4), START.date() + timedelta(days=9), team_id=101)):
            sliced = figures(s, world.workspace_id, f)
            queries.FORCE_CUBES = True
            try:
                assert figures(s, world.workspace_id, f) == sliced, f
                with queries.shared_reads(s):  # the figures' shared read of the cube (the dashboard's)
                    assert figures(s, world.workspace_id, f) == sliced, f
            finally:
                queries.FORCE_CUBES = False
    rebuild(world)
    assert snapshot(world) == kept


def figures(s: Any, workspace_id: int, f: Any) -> tuple[Any, ...]:
    return (queries.volume(s, workspace_id, f), queries.response_rate(s, workspace_id, f),
            queries.response_rate(s, workspace_id, f, target_s=900), queries.response_times(s, workspace_id, f),
            queries.sla(s, workspace_id, f), queries.csat(s, workspace_id, f), queries.agents(s, workspace_id, f),
            queries.heatmap(s, workspace_id, f), queries.escalations(s, workspace_id, f))
