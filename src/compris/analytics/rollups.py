"""Keeping the rollups: a case's history loaded from the database, its contribution computed
(:func:`compris.analytics.measures.contribution`), and the difference with what was added for it before applied
to ``analytics_daily`` / ``analytics_hourly`` by upserts that add (``n = n + excluded.n``).

**Idempotent by construction**: each case's last contribution is stored (``analytics_cases.entries``); a recompute
subtracts exactly that and adds the new one, so recomputing a case twice, or after a redelivered event, changes
nothing; the rollups always equal the sum of the stored contributions, which equal what a rebuild computes.

**Who recomputes**: domain events only *mark* a case (``analytics_dirty``, one plain insert in the event's
transaction, never waiting on a lock); the ``analytics.rollup`` job takes the marked cases in batches. Each
recompute locks the case's ``analytics_cases`` row first (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers),
so two jobs never interleave on one case; rollup rows are upserted in key order (no deadlock between jobs).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from compris import timeline as case_timeline
from compris.analytics import measures
from compris.analytics.measures import CaseHistory, Change, Context, Key, Msg
from compris.db import Database
from compris.kit.clock import now
from compris.models import (
    AnalyticsCase,
    AnalyticsDaily,
    AnalyticsDirty,
    AnalyticsHourly,
    AnalyticsSlice,
    AnalyticsWeekly,
    Case,
    CaseEvent,
    CaseTag,
    ChannelAccount,
    Direction,
    Escalation,
    GuardEvent,
    Message,
    SlaBreach,
    Survey,
    SurveyState,
    WaitPrediction,
    Workspace,
)
from compris.models.analytics import DIMENSIONS
from compris.sla.clocks import ANSWERED_STATES, LoadedPolicy, answered_at, is_automatic, load_policies
from compris.sla.policy import Metric
from compris.surveys import parsing

BATCH = 500
#: a rebuild's batches are larger: its cases come in the order they opened, so their facts share days and cells
#: (summed in memory, written once per batch: 5,000 rebuilt faster than 2,000 at the bench's density)
REBUILD_BATCH = 5000
ASSIGN_KINDS = (case_timeline.EventKind.ASSIGNED.value, case_timeline.EventKind.UNASSIGNED.value)
TEAM_KINDS = (case_timeline.EventKind.ROUTED.value, case_timeline.EventKind.TRANSFERRED.value)
STATUS_KINDS = tuple(k.value for k in case_timeline.STATUS_KINDS)
SENT_SURVEY_STATES = (SurveyState.SENT, SurveyState.ANSWERED)


def workspace_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- marking ----------------------------------------------------------------------------------------------------


_MARKED = "compris.analytics.marked"


def mark_dirty(session: Session, workspace_id: int, case_ids: Iterable[int]) -> None:
    """Ask for these cases to be recomputed (a plain insert: cheap, never blocks), once per case and transaction
    (the inbound job emits several events about one case; a savepoint keeps its own marks, as it may roll back)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    marked: tuple[object, set[int]] | None = session.info.get(_MARKED)
    if marked is None or marked[0] is not transaction:
        marked = (transaction, set())
        session.info[_MARKED] = marked
    new = {int(c) for c in case_ids} - marked[1]
    if not new:
        return
    marked[1].update(new)
    rows = [{"workspace_id": workspace_id, "case_id": c, "marked_at": now()} for c in sorted(new)]
    session.execute(AnalyticsDirty.__table__.insert(), rows)  # type: ignore[attr-defined]


# --- loading ------------------------------------------------------------------------------------------------------


@dataclass
class _Workspace:
    tz: ZoneInfo
    networks: dict[int, str]
    policies: dict[int, LoadedPolicy]


class Loader:
    """Reads what the measures need, a batch of cases at a time, with per-workspace settings cached."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.workspaces: dict[int, _Workspace] = {}

    def workspace(self, workspace_id: int) -> _Workspace:
        found = self.workspaces.get(workspace_id)
        if found is None:
            s = self.session
            tz = workspace_zone(s.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)))
            networks = {int(i): str(n) for i, n in s.execute(
                select(ChannelAccount.id, ChannelAccount.network).where(ChannelAccount.workspace_id == workspace_id))}
            policies = {p.row.id: p for p in load_policies(s, workspace_id)}
            found = self.workspaces[workspace_id] = _Workspace(tz, networks, policies)
        return found

    def context(self, history: CaseHistory) -> Context:
        ws = self.workspace(history.workspace_id)
        policy = ws.policies.get(history.sla_policy_id) if history.sla_policy_id is not None else None
        tracked = frozenset(m for m in measures.SLA_METRICS if policy is not None and policy.policy.target(
            Metric(m)) is not None)
        return Context(tz=ws.tz, calendar=policy.policy.business_hours if policy else None, tracked=tracked,
                       networks=ws.networks)

    def histories(self, case_ids: Sequence[int]) -> dict[int, CaseHistory]:
        if not case_ids:
            return {}
        if self.session.autoflush:  # what the ORM's execute would do first
            self.session.flush()
        s = self.session.connection()  # Core rows: no ORM loading per row
        cases = {c.id: c for c in s.execute(
            select(Case.id, Case.workspace_id, Case.team_id, Case.assignee_id, Case.triage, Case.language,
                   Case.sla_policy_id).where(Case.id.in_(case_ids)))}
        messages: dict[int, list[Msg]] = defaultdict(list)
        for row in s.execute(
            select(Message.id, Message.case_id, Message.direction, Message.visibility, Message.created_at,
                   Message.sent_at, Message.delivery_state, Message.platform_extra, Message.author_user_id,
                   Message.channel_account_id, Message.language, Message.triage)
            .where(Message.case_id.in_(case_ids))
        ):
            messages[row.case_id].append(_message(row))
        changes: dict[int, list[Change]] = defaultdict(list)
        for row in s.execute(
            select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.created_at, CaseEvent.data, CaseEvent.actor_user_id,
                   CaseEvent.id)
            .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(STATUS_KINDS + ASSIGN_KINDS + TEAM_KINDS))
            .order_by(CaseEvent.created_at, CaseEvent.id)
        ):
            change = _change(row.kind, row.created_at, row.data or {}, row.actor_user_id)
            if change is not None:
                changes[int(row.case_id)].append(change)
        surveys: dict[int, list[measures.SurveyFact]] = defaultdict(list)
        for sv in s.execute(
            select(Survey.case_id, Survey.sent_at, Survey.state, Survey.rating, Survey.score, Survey.scale,
                   Survey.channel_account_id, Survey.network, Survey.agent_id, Survey.team_id)
            .where(Survey.case_id.in_(case_ids), Survey.state.in_(SENT_SURVEY_STATES))
        ):
            answered = sv.rating is not None
            surveys[sv.case_id].append(measures.SurveyFact(
                sv.sent_at, answered, sv.score, answered and parsing.satisfied(int(sv.rating), sv.scale),
                sv.channel_account_id, sv.network, sv.agent_id, sv.team_id))
        escalations: dict[int, list[measures.EscalationFact]] = defaultdict(list)
        for e in s.execute(
            select(Escalation.case_id, Escalation.created_at, Escalation.created_by_id, Escalation.answered_at,
                   Escalation.overdue_at).where(Escalation.case_id.in_(case_ids))
        ):
            escalations[e.case_id].append(measures.EscalationFact(e.created_at, e.created_by_id, e.answered_at,
                                                                  e.overdue_at))
        breaches: dict[int, list[measures.BreachFact]] = defaultdict(list)
        for b in s.execute(
            select(SlaBreach.case_id, SlaBreach.metric, SlaBreach.cycle, SlaBreach.breached_at, SlaBreach.policy_id)
            .where(SlaBreach.case_id.in_(case_ids))
        ):
            breaches[b.case_id].append(measures.BreachFact(b.metric, b.cycle, b.breached_at, b.policy_id))
        waits: dict[int, list[measures.WaitFact]] = defaultdict(list)
        for w in s.execute(
            select(WaitPrediction.case_id, WaitPrediction.created_at, WaitPrediction.channel_account_id,
                   WaitPrediction.predicted_s, WaitPrediction.actual_s).where(WaitPrediction.case_id.in_(case_ids))
        ):
            waits[w.case_id].append(measures.WaitFact(w.created_at, w.channel_account_id, int(w.predicted_s),
                                                      int(w.actual_s) if w.actual_s is not None else None))
        guard: dict[int, list[measures.GuardFact]] = defaultdict(list)
        for g in s.execute(
            select(GuardEvent.case_id, GuardEvent.created_at, GuardEvent.user_id, GuardEvent.rule,
                   GuardEvent.overridden).where(GuardEvent.case_id.in_(case_ids))
        ):
            guard[g.case_id].append(measures.GuardFact(g.created_at, g.user_id, str(g.rule), bool(g.overridden)))
        tags: dict[int, list[int]] = defaultdict(list)
        for case_id, tag_id in s.execute(select(CaseTag.case_id, CaseTag.tag_id).where(CaseTag.case_id.in_(case_ids))):
            tags[int(case_id)].append(int(tag_id))
        out: dict[int, CaseHistory] = {}
        for case_id, c in cases.items():
            triage = c.triage or {}
            out[case_id] = CaseHistory(
                case_id=case_id, workspace_id=c.workspace_id, team_id=c.team_id, assignee_id=c.assignee_id,
                intent=_text(triage.get("intent")), sentiment=_text(triage.get("sentiment")),
                language=c.language or _text(triage.get("language")), sla_policy_id=c.sla_policy_id,
                messages=tuple(messages.get(case_id, ())), changes=tuple(changes.get(case_id, ())),
                surveys=tuple(surveys.get(case_id, ())), escalations=tuple(escalations.get(case_id, ())),
                breaches=tuple(breaches.get(case_id, ())), waits=tuple(waits.get(case_id, ())),
                guard=tuple(guard.get(case_id, ())), tags=tuple(tags.get(case_id, ())),
            )
        return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _message(row: Any) -> Msg:
    extra = row.platform_extra or {}
    triage = row.triage or {}
    if row.direction == Direction.INBOUND:
        return Msg(row.id, True, row.created_at, row.visibility, row.channel_account_id,
                   claimed=bool(extra.get("claimed_by")), language=row.language or _text(triage.get("language")),
                   intent=_text(triage.get("intent")), sentiment=_text(triage.get("sentiment")),
                   topic=_text(triage.get("topic")))
    answer = answered_at(row.direction, row.visibility, row.delivery_state, row.author_user_id, extra,
                         row.created_at, row.sent_at)
    automatic = None
    if (row.visibility != "note" and row.delivery_state in ANSWERED_STATES
            and is_automatic(row.author_user_id, extra)):
        automatic = max(row.created_at, row.sent_at) if row.sent_at is not None else row.created_at
    return Msg(row.id, False, row.created_at, row.visibility, row.channel_account_id, answer_at=answer,
               automatic_sent_at=automatic, author_user_id=row.author_user_id)


def _change(kind: str, at: datetime, data: dict[str, Any], actor: int | None) -> Change | None:
    if kind in STATUS_KINDS:
        to_status = data.get("to_status") or ("open" if kind == "reopened" else kind)
        return Change(at, "status", str(to_status), actor)
    if kind in ASSIGN_KINDS:
        value = data.get("assignee_id")
        return Change(at, "assignee", int(value) if value is not None else None, actor)
    if kind in TEAM_KINDS:
        team, previous = data.get("team_id"), data.get("previous_team_id")
        return Change(at, "team", int(team) if team is not None else None, actor,
                      int(previous) if previous is not None else None)
    return None


# --- applying -----------------------------------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _row(workspace_id: int, key: Key, n: float, total: float, hourly: bool) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(measures.KEY_FIELDS, key, strict=True))
    row["day"] = date.fromisoformat(row["day"])
    hour = row.pop("hour")
    if hourly:
        row["hour"], row["weekday"] = hour, row["day"].weekday()
    row.update(workspace_id=workspace_id, n=int(n), total=float(total))
    return row


#: the dimensions a slice is cut by (every fact), and those of the volume only (customer messages)
SLICE_DIMS = ("network", "account", "team", "agent", "intent", "language")
VOLUME_SLICE_DIMS = ("visibility", "sentiment", "topic")
_KEY_INDEX = {name: i for i, name in enumerate(measures.KEY_FIELDS)}
_SLICE_FIELD = {"network": "network", "account": "channel_account_id", "team": "team_id", "agent": "agent_id",
                "intent": "intent", "language": "language", "visibility": "visibility", "sentiment": "sentiment",
                "topic": "topic"}


def slice_value(value: object) -> str:
    """A dimension's value as a slice stores it: ids as text, none as ``""``."""
    if value is None or value == 0 or value == "":
        return ""
    return str(value)


#: metrics kept in the cubes only (one row per customer message: read rarely, for a target that is not the default)
UNSLICED = frozenset({measures.MSG_RT})


#: where each slice dimension's value sits in a key, for the facts of every metric and for the volume
_SLICE_POSITIONS = tuple((d, _KEY_INDEX[_SLICE_FIELD[d]]) for d in SLICE_DIMS)
_VOLUME_SLICE_POSITIONS = _SLICE_POSITIONS + tuple((d, _KEY_INDEX[_SLICE_FIELD[d]]) for d in VOLUME_SLICE_DIMS)
SliceKey = tuple[str, str, str, str, int, int, int]  # metric, dim, value, day, hour, policy, bucket
WeekKey = tuple[str, str, str, date, str, int, int]  # metric, dim, value, week (its Monday), grp, policy, bucket

#: the weekly sets (``analytics_weekly``, see its docstring): nothing; every slice dimension alone; each filter
#: dimension, and each pair of the filter dimensions below, crossed with the agent and the team for the agents' and
#: teams' figures (these metrics only) and with every breakdown of the volume (customer messages only); the pairs
#: alone; the pairs by weekday and hour (customer messages: the heatmap); and the agent with each of those filter
#: dimensions (:data:`AGENT_PAIRS`: every metric, but not crossed with a grouping)
PEOPLE_METRICS = frozenset({measures.REPLY, measures.RESOLVED, measures.HANDLE,
                            measures.duration_metric(measures.FRT, "calendar")})
PEOPLE_GROUPS = ("agent", "team")
BREAKDOWN_DIMS = ("network", "account", "visibility", "intent", "sentiment", "language", "topic")
PAIR_DIMS = ("network", "account", "team", "intent", "language")
PAIRS = tuple((x, y) for i, x in enumerate(PAIR_DIMS) for y in PAIR_DIMS[i + 1:])
#: the agent with each filter dimension of the pairs (``intent+agent``: ``value`` "complaint|12"), per week only: a
#: year under an agent and another filter reads a few rows a week, not that agent's cube rows (spread over the
#: cube's pages: 1.7 s a year at 2,000,000 cases); the days around whole weeks and shorter periods read the cube
#: through the agent's index
AGENT_PAIRS = tuple((d, "agent") for d in PAIR_DIMS)
#: a pair's values in ``value``, joined by this
PAIR_SEPARATOR = "|"
#: the group of the pairs' hourly set: ``grp`` is "<weekday>:<hour>" (0 = Monday, local hour)
HOURS = "hours"


def _weekly_sets() -> tuple[tuple[str, tuple[str, ...], str | None, str], ...]:
    """Each weekly set: its name, its filter dimensions, its grouping dimension, and the metrics it holds
    (``all`` but :data:`UNSLICED`, ``people``: :data:`PEOPLE_METRICS`, ``volume``: customer messages)."""
    sets: list[tuple[str, tuple[str, ...], str | None, str]] = [("", (), None, "all")]
    sets += [(d, (d,), None, "all") for d in SLICE_DIMS] + [(d, (d,), None, "volume") for d in VOLUME_SLICE_DIMS]
    filters: list[tuple[str, ...]] = [(d,) for d in SLICE_DIMS] + list(PAIRS)
    for dims in filters:
        name = "+".join(dims)
        if len(dims) == 2:
            sets.append((name, dims, None, "all"))
        sets += [(f"{name}>{g}", dims, g, "people") for g in PEOPLE_GROUPS if g not in dims]
        sets += [(f"{name}>{g}", dims, g, "volume") for g in BREAKDOWN_DIMS if g not in dims]
    sets += [("+".join(dims), dims, None, "all") for dims in AGENT_PAIRS]
    return tuple(sets)


WEEKLY_SETS = _weekly_sets()
WEEKLY_SET_NAMES = frozenset(name for name, *_rest in WEEKLY_SETS)
#: per kind of metric, the sets its facts go to: (name, filter dimensions, grouping dimension)
_SETS_OF: dict[str, tuple[tuple[str, tuple[str, ...], str | None], ...]] = {
    kind: tuple((name, dims, group) for name, dims, group, holds in WEEKLY_SETS if holds in ("all", kind))
    for kind in ("all", "people", "volume")}


#: the metrics the report's figures read without a dimension, sliced per day by each pair of filters too (``dim``
#: "intent+language", ``value`` "complaint|fr", each part cut to 31 and 32 characters): the daily trends under two
#: filters, and every figure's days outside whole weeks (:func:`daily_pair_metric`), read a few rows a day instead
#: of the cube. Volume, response rate, response times on either clock, SLA, CSAT, escalations, expected wait; and
#: the reply guard's findings (``guard:<rule>``, ``guard_ovr:<rule>``)
DAILY_PAIR_METRICS = frozenset({
    measures.MSG_IN, measures.CASE_NEW, measures.NEEDS, measures.RESPONDED, measures.IN_TARGET,
    *(measures.duration_metric(base, clock) for base in (measures.FRT, measures.NRT, measures.RES)
      for clock in ("calendar", "business")),
    *(f"{kind}:{m}" for kind in (measures.SLA_MET, measures.SLA_BREACH) for m in measures.SLA_METRICS),
    measures.CSAT_SENT, measures.CSAT_ANSWERED, measures.CSAT_SATISFIED,
    measures.ESC_CREATED, measures.ESC_OVERDUE, measures.ESC_RESPONSE,
    measures.WAIT_ANNOUNCED, measures.WAIT_ACTUAL, measures.WAIT_ERROR, measures.WAIT_WITHIN})
_DAILY_PAIR_PREFIXES = (measures.GUARD, measures.GUARD_OVERRIDDEN)


def daily_pair_metric(metric: str) -> bool:
    """Whether the pairs' daily slices hold ``metric`` (:data:`DAILY_PAIR_METRICS` and the guard's findings)."""
    return metric in DAILY_PAIR_METRICS or metric.startswith(_DAILY_PAIR_PREFIXES)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


Cells = tuple[dict[Key, list[float]], list[tuple[Key, list[float]]], dict[SliceKey, list[float]],
              dict[WeekKey, list[float]]]


def _add(cells: dict[Any, list[float]], key: Any, n: float, total: float) -> None:
    cell = cells.get(key)
    if cell is None:
        cells[key] = [n, total]
    else:
        cell[0] += n
        cell[1] += total


def _cells(delta: dict[Key, list[float]]) -> Cells:
    """``delta`` cut into the cells it adds to: the daily cube (the hour folded), the hourly cube (volume only),
    the one-dimension slices (every dimension summed, then each slice dimension: its value as a slice stores
    it, :func:`slice_value`, at most 64 characters) and the weekly sets (:func:`_weekly_cells`)."""
    daily: dict[Key, list[float]] = {}
    hourly: list[tuple[Key, list[float]]] = []
    slices: dict[SliceKey, list[float]] = {}
    hourly_metrics = measures.HOURLY_METRICS
    for key, (n, total) in delta.items():
        metric = key[12]
        _add(daily, (key[0], 0, *key[2:]), n, total)
        is_hourly = metric in hourly_metrics
        if is_hourly:
            hourly.append((key, [n, total]))
        if metric in UNSLICED:
            continue
        day, policy, bucket = key[0], key[11], key[13]
        # the volume per local hour (the hour-of-day bars, the heatmap, short periods' trends) and per day (every
        # other read: a year of daily rows rather than 24 times as many)
        for hour in ((key[1], -1) if is_hourly else (-1,)):
            _add(slices, (metric, "", "", day, hour, policy, bucket), n, total)
            for dim, i in (_VOLUME_SLICE_POSITIONS if metric == measures.MSG_IN else _SLICE_POSITIONS):
                _add(slices, (metric, dim, slice_value(key[i])[:64], day, hour, policy, bucket), n, total)
    for key, (n, total) in daily.items():  # the daily trends under two filters: per day and pair of filters
        if daily_pair_metric(key[12]):
            for name, x, y in _DAILY_PAIRS:
                _add(slices, (key[12], name, f"{slice_value(key[x])[:31]}{PAIR_SEPARATOR}{slice_value(key[y])[:32]}",
                              key[0], -1, key[11], key[13]), n, total)
    return daily, hourly, slices, _weekly_cells(daily, hourly)


#: the dimensions as the weekly cells read them from a key (in this order), and each set's recipe per kind of
#: metric: (name, positions of its filter values in that order, position of its grouping value or -1)
_WEEKLY_DIMS = SLICE_DIMS + VOLUME_SLICE_DIMS
_WEEKLY_FIELDS = tuple(_KEY_INDEX[_SLICE_FIELD[d]] for d in _WEEKLY_DIMS)
_RECIPES: dict[str, tuple[tuple[str, tuple[int, ...], int], ...]] = {
    kind: tuple((name, tuple(_WEEKLY_DIMS.index(d) for d in dims), _WEEKLY_DIMS.index(group) if group else -1)
                for name, dims, group in sets)
    for kind, sets in _SETS_OF.items()}
_DAILY_PAIRS = tuple((f"{x}+{y}", _KEY_INDEX[_SLICE_FIELD[x]], _KEY_INDEX[_SLICE_FIELD[y]]) for x, y in PAIRS)
_PAIR_POSITIONS = tuple((f"{x}+{y}>{HOURS}", _KEY_INDEX[_SLICE_FIELD[x]], _KEY_INDEX[_SLICE_FIELD[y]])
                        for x, y in PAIRS)


def _weekly_cells(daily: dict[Key, list[float]],
                  hourly: list[tuple[Key, list[float]]]) -> dict[WeekKey, list[float]]:
    """The weekly sets' cells of the daily cube's (the hour already folded), and the pairs' hourly cells of the
    hourly cube's. The days of a week are summed first (the cells of a batch's cases share weeks), then each sum
    goes to every set of its metric."""
    weeks: dict[str, date] = {}
    folded: dict[tuple[Any, ...], list[float]] = {}
    fields = _WEEKLY_FIELDS
    for key, (n, total) in daily.items():
        metric = key[12]
        if metric in UNSLICED or not (n or total):
            continue
        week = weeks.get(key[0])
        if week is None:
            week = weeks[key[0]] = week_of(date.fromisoformat(key[0]))
        _add(folded, (metric, week, key[11], key[13], *(key[i] for i in fields)), n, total)
    weekly: dict[WeekKey, list[float]] = {}
    people, volume, recipes, sep = PEOPLE_METRICS, measures.MSG_IN, _RECIPES, PAIR_SEPARATOR
    for folded_key, (n, total) in folded.items():
        if not (n or total):
            continue
        fact: str = folded_key[0]
        monday: date = folded_key[1]
        policy: int = folded_key[2]
        bucket: int = folded_key[3]
        values = [slice_value(v)[:64] for v in folded_key[4:]]
        for name, dims, group in recipes["people" if fact in people else "volume" if fact == volume else "all"]:
            if len(dims) == 1:
                value = values[dims[0]]
            elif dims:
                value = values[dims[0]] + sep + values[dims[1]]
            else:
                value = ""
            _add(weekly, (fact, name, value, monday, values[group] if group >= 0 else "", policy, bucket), n, total)
    for key, (n, total) in hourly:
        if key[12] != volume or not (n or total):
            continue
        day = date.fromisoformat(key[0])
        hours, week = f"{day.weekday()}:{key[1]}", week_of(day)
        for name, x, y in _PAIR_POSITIONS:
            _add(weekly, (volume, name, f"{slice_value(key[x])[:64]}{sep}{slice_value(key[y])[:64]}", week, hours,
                          key[11], key[13]), n, total)
    return weekly


def apply_delta(session: Session, workspace_id: int, delta: dict[Key, list[float]], *, bulk: bool = False,
                cut: Cells | None = None) -> None:
    """Add ``delta`` to the rollups: the daily cube, the hourly cube (volume) and the slices (upserts in key
    order). ``bulk`` (a rebuild's batch), on PostgreSQL: through ``COPY`` into a temporary table and one upsert per
    table (the live job's small batches keep the multi-row upserts). ``cut``: ``_cells(delta)`` if already cut."""
    if not delta:
        return
    daily, hourly, slices, weekly = cut if cut is not None else _cells(delta)
    if bulk and session.get_bind().dialect.name == "postgresql":
        _apply_bulk(session, workspace_id, daily, hourly, slices, weekly)
        return
    insert = _insert(session)
    for model, cells, is_hourly in ((AnalyticsDaily, sorted(daily.items()), False),
                                    (AnalyticsHourly, sorted(hourly), True)):
        rows = [_row(workspace_id, k, v[0], v[1], is_hourly) for k, v in cells if v[0] or v[1]]
        if not rows:
            continue
        table: Table = model.__table__  # type: ignore[assignment]
        stmt = insert(table)
        elements = ["workspace_id", "metric", "day", *(["hour"] if is_hourly else []), *DIMENSIONS, "bucket"]
        stmt = stmt.on_conflict_do_update(index_elements=elements, set_={
            "n": table.c.n + stmt.excluded.n, "total": table.c.total + stmt.excluded.total})
        session.execute(stmt, rows)
    rows = [{"workspace_id": workspace_id, "metric": m, "dim": d, "value": v, "day": date.fromisoformat(day),
             "hour": hour, "policy_id": policy, "bucket": bucket, "n": int(c[0]), "total": float(c[1])}
            for (m, d, v, day, hour, policy, bucket), c in sorted(slices.items()) if c[0] or c[1]]
    if rows:
        table = AnalyticsSlice.__table__  # type: ignore[assignment]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["workspace_id", "metric", "dim", "value", "hour", "day", "policy_id", "bucket"],
            set_={"n": table.c.n + stmt.excluded.n, "total": table.c.total + stmt.excluded.total})
        session.execute(stmt, rows)
    rows = [{"workspace_id": workspace_id, "metric": m, "dim": d, "value": v, "week": week, "grp": g,
             "policy_id": policy, "bucket": bucket, "n": int(c[0]), "total": float(c[1])}
            for (m, d, v, week, g, policy, bucket), c in sorted(weekly.items()) if c[0] or c[1]]
    if rows:
        table = AnalyticsWeekly.__table__  # type: ignore[assignment]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=list(_WEEKLY_KEY), set_={
            "n": table.c.n + stmt.excluded.n, "total": table.c.total + stmt.excluded.total})
        session.execute(stmt, rows)


# --- bulk writes (PostgreSQL) -------------------------------------------------------------------------------------

_DAILY_COLUMNS = ("workspace_id", "metric", "day", *DIMENSIONS, "bucket", "n", "total")
_HOURLY_COLUMNS = ("workspace_id", "metric", "day", "hour", "weekday", *DIMENSIONS, "bucket", "n", "total")
_SLICE_COLUMNS = ("workspace_id", "metric", "dim", "value", "day", "hour", "policy_id", "bucket", "n", "total")
_SLICE_KEY = ("workspace_id", "metric", "dim", "value", "hour", "day", "policy_id", "bucket")
_WEEKLY_COLUMNS = ("workspace_id", "metric", "dim", "value", "week", "grp", "policy_id", "bucket", "n", "total")
_WEEKLY_KEY = ("workspace_id", "metric", "dim", "value", "week", "grp", "policy_id", "bucket")


_C = ' COLLATE "C"'  # text in code point order, as Python sorts it
#: the order the live path upserts in (its keys sorted in Python), so that no two writers take cells in opposite
#: orders
_DAILY_ORDER = ("day", "channel_account_id", f"network{_C}", f"visibility{_C}", "team_id", "agent_id", f"intent{_C}",
                f"sentiment{_C}", f"language{_C}", f"topic{_C}", "policy_id", f"metric{_C}", "bucket")
_HOURLY_ORDER = ("day", "hour", *_DAILY_ORDER[1:])
_SLICE_ORDER = (f"metric{_C}", f"dim{_C}", f"value{_C}", "day", "hour", "policy_id", "bucket")
_WEEKLY_ORDER = (f"metric{_C}", f"dim{_C}", f"value{_C}", "week", f"grp{_C}", "policy_id", "bucket")


def _driver(session: Session) -> Any:
    """The session's psycopg connection (``COPY`` and plain SQL, in the session's transaction)."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    return connection


def _copy_in(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` into a new temporary table with ``table``'s column types; returns its name (dropped by
    :func:`_upsert_from`, else at the commit)."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    name = f"_in_{table.name}"
    ddl = ", ".join(f"{c} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    with _driver(session).cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE {name} ({ddl}) ON COMMIT DROP")
        with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    return name


def _upsert_from(session: Session, table: Table, temp: str, columns: Sequence[str], key: Sequence[str],
                 order: Sequence[str], add: bool) -> list[Any]:
    """``INSERT INTO table SELECT … FROM temp ORDER BY order ON CONFLICT (key)`` adding ``n`` and ``total``
    (``add``) or doing nothing (then returns the key of each row inserted); drops ``temp``."""
    cols = ", ".join(columns)
    action = (f"DO UPDATE SET n = {table.name}.n + excluded.n, total = {table.name}.total + excluded.total" if add
              else f"DO NOTHING RETURNING {', '.join(key)}")
    with _driver(session).cursor() as cur:
        cur.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {temp} ORDER BY {', '.join(order)} "
                    f"ON CONFLICT ({', '.join(key)}) {action}")
        out = [] if add else cur.fetchall()
        cur.execute(f"DROP TABLE {temp}")
    return out


def _apply_bulk(session: Session, workspace_id: int, daily: dict[Key, list[float]],
                hourly: list[tuple[Key, list[float]]], slices: dict[SliceKey, list[float]],
                weekly: dict[WeekKey, list[float]]) -> None:
    """:func:`apply_delta`'s writes on PostgreSQL in bulk: the same cells, upserted in the same key order (sorted
    by the database)."""
    ws = workspace_id
    weekdays: dict[str, int] = {}

    def weekday(day: str) -> int:
        found = weekdays.get(day)
        if found is None:
            found = weekdays[day] = date.fromisoformat(day).weekday()
        return found

    daily_table: Table = AnalyticsDaily.__table__  # type: ignore[assignment]
    hourly_table: Table = AnalyticsHourly.__table__  # type: ignore[assignment]
    slice_table: Table = AnalyticsSlice.__table__  # type: ignore[assignment]
    rows: Iterable[Sequence[Any]] = ((ws, k[12], k[0], *k[2:12], k[13], int(v[0]), float(v[1]))
                                     for k, v in daily.items() if v[0] or v[1])
    _upsert_from(session, daily_table, _copy_in(session, daily_table, _DAILY_COLUMNS, rows), _DAILY_COLUMNS,
                 ("workspace_id", "metric", "day", *DIMENSIONS, "bucket"), _DAILY_ORDER, True)
    rows = ((ws, k[12], k[0], k[1], weekday(k[0]), *k[2:12], k[13], int(v[0]), float(v[1]))
            for k, v in hourly if v[0] or v[1])
    _upsert_from(session, hourly_table, _copy_in(session, hourly_table, _HOURLY_COLUMNS, rows), _HOURLY_COLUMNS,
                 ("workspace_id", "metric", "day", "hour", *DIMENSIONS, "bucket"), _HOURLY_ORDER, True)
    rows = ((ws, *k, int(c[0]), float(c[1])) for k, c in slices.items() if c[0] or c[1])
    _upsert_from(session, slice_table, _copy_in(session, slice_table, _SLICE_COLUMNS, rows), _SLICE_COLUMNS,
                 _SLICE_KEY, _SLICE_ORDER, True)
    weekly_table: Table = AnalyticsWeekly.__table__  # type: ignore[assignment]
    rows = ((ws, *k, int(c[0]), float(c[1])) for k, c in weekly.items() if c[0] or c[1])
    _upsert_from(session, weekly_table, _copy_in(session, weekly_table, _WEEKLY_COLUMNS, rows), _WEEKLY_COLUMNS,
                 _WEEKLY_KEY, _WEEKLY_ORDER, True)


def recompute(session: Session, case_ids: Iterable[int], loader: Loader | None = None) -> int:
    """Recompute these cases' contributions and move the rollups by the difference. Returns how many."""
    ids = sorted({int(c) for c in case_ids})
    if not ids:
        return 0
    loader = loader or Loader(session)
    insert = _insert(session)
    workspace_of = {int(i): int(w) for i, w in session.execute(
        select(Case.id, Case.workspace_id).where(Case.id.in_(ids)))}
    fresh = [{"workspace_id": ws, "case_id": cid, "entries": [], "computed_at": now()}
             for cid, ws in sorted(workspace_of.items())]
    if fresh:  # a state row for every case, so that the lock below always has a row to hold
        table: Table = AnalyticsCase.__table__  # type: ignore[assignment]
        session.execute(insert(table).on_conflict_do_nothing(index_elements=["case_id"]), fresh)
    states = {s.case_id: s for s in session.scalars(
        select(AnalyticsCase).where(AnalyticsCase.case_id.in_(ids)).order_by(AnalyticsCase.case_id)
        .with_for_update())}
    histories = loader.histories(ids)
    deltas: dict[int, dict[Key, list[float]]] = defaultdict(dict)
    for case_id in ids:
        state = states.get(case_id)
        if state is None:
            continue  # never counted and gone
        old = measures.entries_from_rows(state.entries or [])
        history = histories.get(case_id)
        if history is None:  # the case was deleted: take its contribution back
            new_entries: dict[Key, list[float]] = {}
            session.delete(state)
        else:
            result = measures.contribution(history, loader.context(history))
            new_entries = result.entries
            _store(state, result)
        delta = measures.difference(old, new_entries)
        target = deltas[state.workspace_id]
        for key, value in delta.items():
            cell = target.setdefault(key, [0.0, 0.0])
            cell[0] += value[0]
            cell[1] += value[1]
    for workspace_id, delta in deltas.items():
        apply_delta(session, workspace_id, delta)
    session.flush()
    for state in states.values():  # a rebuild goes through millions: keep the identity map small
        if state in session:
            session.expunge(state)
    return len(ids)


def compute_fresh(session: Session, case_ids: Iterable[int], loader: Loader | None = None) -> int:
    """:func:`recompute` for cases with no stored contribution (a rebuild from scratch): the states are inserted in
    bulk, and a case the live job counted meanwhile (its state exists) is left as that job left it; the cells of
    all the cases counted here are summed first and written once (PostgreSQL: by ``COPY``). Returns how many cases
    were counted here."""
    return store_fresh(session, contributions(loader or Loader(session), case_ids))


@dataclass
class Fresh:
    """A batch of a rebuild from scratch, computed (:func:`contributions`) and not stored yet: each case's
    workspace and contribution, and per workspace the sum of them all and its cells (what :func:`store_fresh`
    writes when no case was counted meanwhile)."""

    workspace_of: dict[int, int]
    results: dict[int, measures.Contribution]
    deltas: dict[int, dict[Key, list[float]]]
    cells: dict[int, Cells]


def _sum(workspace_of: dict[int, int], results: dict[int, measures.Contribution],
         case_ids: Iterable[int]) -> dict[int, dict[Key, list[float]]]:
    deltas: dict[int, dict[Key, list[float]]] = defaultdict(dict)
    for cid in sorted(case_ids):
        target = deltas[workspace_of[cid]]
        for key, value in results[cid].entries.items():
            _add(target, key, value[0], value[1])
    return deltas


def contributions(loader: Loader, case_ids: Iterable[int]) -> Fresh:
    """The cases' contributions from their histories, summed and cut into cells (reads only)."""
    ids = sorted({int(c) for c in case_ids})
    histories = loader.histories(ids)
    workspace_of = {cid: h.workspace_id for cid, h in histories.items()}
    results = {cid: measures.contribution(h, loader.context(h)) for cid, h in histories.items()}
    deltas = _sum(workspace_of, results, results)
    return Fresh(workspace_of, results, deltas, {ws: _cells(delta) for ws, delta in deltas.items()})


def store_fresh(session: Session, fresh: Fresh) -> int:
    """:func:`compute_fresh`'s writes: the states of the cases not stored yet, and the sum of their contributions
    added to the rollups (summed again without the cases counted meanwhile, if any). Returns how many cases were
    counted."""
    workspace_of, results = fresh.workspace_of, fresh.results
    if not results:
        return 0
    table: Table = AnalyticsCase.__table__  # type: ignore[assignment]
    computed_at = now()
    if session.get_bind().dialect.name == "postgresql":
        inserted = _insert_states_bulk(session, table, workspace_of, results, computed_at)
    else:
        rows = [{"workspace_id": workspace_of[cid], "case_id": cid, "entries": r.as_rows(),
                 "computed_at": computed_at, **vars(r.summary)} for cid, r in sorted(results.items())]
        inserted = _insert_each(session, table, rows)
    if len(inserted) == len(results):
        for workspace_id, delta in fresh.deltas.items():
            apply_delta(session, workspace_id, delta, bulk=True, cut=fresh.cells[workspace_id])
    else:
        for workspace_id, delta in _sum(workspace_of, results, inserted).items():
            apply_delta(session, workspace_id, delta, bulk=True)
    return len(inserted)


_SUMMARY_FIELDS = tuple(f.name for f in fields(measures.Summary))
_STATE_COLUMNS = ("workspace_id", "case_id", "entries", "computed_at", *_SUMMARY_FIELDS)


def _insert_states_bulk(session: Session, table: Table, workspace_of: dict[int, int],
                        results: dict[int, measures.Contribution], computed_at: datetime) -> set[int]:
    """PostgreSQL: the cases' states by ``COPY`` and one ``INSERT … ON CONFLICT DO NOTHING`` (a state the live job
    wrote meanwhile wins); returns the cases inserted."""
    dumps = json.dumps
    rows = ((workspace_of[cid], cid, dumps(r.as_rows()), computed_at,
             *(getattr(r.summary, f) for f in _SUMMARY_FIELDS)) for cid, r in results.items())
    temp = _copy_in(session, table, _STATE_COLUMNS, rows)
    return {int(r[0]) for r in _upsert_from(session, table, temp, _STATE_COLUMNS, ("case_id",), ("case_id",),
                                            False)}


def _insert_each(session: Session, table: Table, rows: list[dict[str, Any]]) -> set[int]:
    """SQLite: which rows an ``INSERT … ON CONFLICT DO NOTHING`` took (its executemany returns no rows); a single
    writer holds the database, so the existing states are read first."""
    existing = set(session.scalars(select(AnalyticsCase.case_id).where(
        AnalyticsCase.case_id.in_([r["case_id"] for r in rows]))))
    fresh = [r for r in rows if r["case_id"] not in existing]
    if fresh:
        session.execute(table.insert(), fresh)
    return {int(r["case_id"]) for r in fresh}


def _store(state: AnalyticsCase, result: measures.Contribution) -> None:
    state.entries = result.as_rows()
    state.computed_at = now()
    for name, value in vars(result.summary).items():
        setattr(state, name, value)


def process_dirty(session: Session, limit: int = BATCH) -> int:
    """Take up to ``limit`` marks (rows another job holds are skipped) and recompute their cases. Returns the
    number of marks taken (0: nothing left)."""
    rows = session.execute(
        select(AnalyticsDirty.id, AnalyticsDirty.case_id).order_by(AnalyticsDirty.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    session.execute(delete(AnalyticsDirty).where(AnalyticsDirty.id.in_([r.id for r in rows])))
    recompute(session, {int(r.case_id) for r in rows})
    return len(rows)


# --- rebuilding ---------------------------------------------------------------------------------------------------


def cases_to_rebuild(session: Session, workspace_id: int, since: date | None) -> list[int]:
    """Every case of the workspace (``since`` None), else those with a timeline row or a message at or after the
    start of ``since`` in the workspace's time zone (every change to a case writes one)."""
    if since is None:  # in the order they opened: a batch's facts fall on the same few days and add up in memory
        return list(session.scalars(select(Case.id).where(Case.workspace_id == workspace_id)
                                    .order_by(Case.created_at, Case.id)))
    tz = workspace_zone(session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)))
    start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC)
    ids = set(session.scalars(select(CaseEvent.case_id).distinct().where(
        CaseEvent.workspace_id == workspace_id, CaseEvent.created_at >= start, CaseEvent.case_id.is_not(None))))
    ids |= set(session.scalars(select(Message.case_id).distinct().where(
        Message.workspace_id == workspace_id, Message.created_at >= start)))
    return sorted(int(c) for c in ids if c is not None)  # ids grow with time: nearly the order they opened


def rebuild(session: Session, workspace_id: int, since: date | None = None, *, batch: int = REBUILD_BATCH) -> int:
    """Rebuild the workspace's rollups from the raw data. Without ``since``: everything is cleared and every case
    recomputed. With ``since``: the cases changed since that day are recomputed (exact, as each recompute replaces
    the case's whole contribution). Runs in the caller's transaction; returns how many cases were computed."""
    if since is None:
        for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsSlice, AnalyticsWeekly, AnalyticsCase,
                      AnalyticsDirty):
            session.execute(delete(model).where(model.workspace_id == workspace_id))
    ids = cases_to_rebuild(session, workspace_id, since)
    loader = Loader(session)
    done = 0
    for i in range(0, len(ids), batch):
        done += recompute(session, ids[i:i + batch], loader)
    rebuild_presence(session, workspace_id, since)
    return done


def rollup_sums(session: Session, workspace_id: int) -> dict[str, tuple[int, float]]:
    """``metric -> (n, total)`` over the whole daily rollup, metrics that sum to nothing left out (the checks and
    tests compare these)."""
    sums = {str(m): (int(n or 0), round(float(t or 0), 3)) for m, n, t in session.execute(
        select(AnalyticsDaily.metric, func.sum(AnalyticsDaily.n), func.sum(AnalyticsDaily.total))
        .where(AnalyticsDaily.workspace_id == workspace_id).group_by(AnalyticsDaily.metric))}
    return {m: v for m, v in sums.items() if v != (0, 0.0)}


# --- time online --------------------------------------------------------------------------------------------------


def sample_presence(session: Session, at: datetime | None = None) -> int:
    """Count this minute for every agent online now (as routing sees them: presence online and a recent
    heartbeat), once per agent and minute however often it runs, in the minutes and in each agent's local day
    (a minute counted in the day only when its row was new). Returns how many agents were online."""
    from compris.models import AgentOnline, AgentProfile, Presence, Workspace
    from compris.routing.assignment import ONLINE_TIMEOUT

    at = at or now()
    minute = at.replace(second=0, microsecond=0)
    rows = [{"workspace_id": ws, "user_id": user, "minute": minute} for ws, user in session.execute(
        select(AgentProfile.workspace_id, AgentProfile.user_id)
        .where(AgentProfile.presence == Presence.ONLINE, AgentProfile.last_seen_at >= at - ONLINE_TIMEOUT))]
    if not rows:
        return 0
    table: Table = AgentOnline.__table__  # type: ignore[assignment]
    new = session.execute(_insert(session)(table).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "minute"]).returning(table.c.workspace_id, table.c.user_id)).all()
    zones = {ws: workspace_zone(tz) for ws, tz in session.execute(
        select(Workspace.id, Workspace.timezone).where(Workspace.id.in_({int(ws) for ws, _u in new})))}
    _add_online(session, [(int(ws), int(user), minute.astimezone(zones[ws]).date(), 1) for ws, user in new])
    return len(rows)


def _add_online(session: Session, cells: Sequence[tuple[int, int, date, int]]) -> None:
    """Add ``(workspace, agent, local day, minutes)`` to the days online."""
    from compris.models import AgentOnlineDay

    if not cells:
        return
    table: Table = AgentOnlineDay.__table__  # type: ignore[assignment]
    statement = _insert(session)(table)
    session.execute(statement.on_conflict_do_update(
        index_elements=["workspace_id", "day", "user_id"],
        set_={"minutes": table.c.minutes + statement.excluded.minutes}),
        [{"workspace_id": ws, "user_id": user, "day": day, "minutes": n} for ws, user, day, n in sorted(cells)])


def rebuild_presence(session: Session, workspace_id: int, since: date | None = None) -> int:
    """The days online recomputed from the minutes (all of them, or from ``since``, a local day): after a change
    of the workspace's time zone, or to repair them. Returns how many minutes were counted."""
    from compris.models import AgentOnline, AgentOnlineDay, Workspace

    tz = workspace_zone(session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)))
    clear = delete(AgentOnlineDay).where(AgentOnlineDay.workspace_id == workspace_id)
    minutes = select(AgentOnline.user_id, AgentOnline.minute).where(AgentOnline.workspace_id == workspace_id)
    if since is not None:
        clear = clear.where(AgentOnlineDay.day >= since)
        minutes = minutes.where(AgentOnline.minute >= datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC))
    session.execute(clear)
    days: dict[tuple[int, date], int] = defaultdict(int)
    for user, at in session.execute(minutes.execution_options(yield_per=10_000)):
        days[(int(user), at.astimezone(tz).date())] += 1
    _add_online(session, [(workspace_id, user, day, n) for (user, day), n in days.items()])
    return sum(days.values())


def rebuild_all(db: Database, workspace_id: int, since: date | None = None, *, batch: int = REBUILD_BATCH,
                progress: Callable[[int, int], None] | None = None) -> int:
    """:func:`rebuild` for the command line: the clearing in one transaction, then one transaction per batch of
    cases (a rebuild of millions of cases never holds one huge transaction; the rollup job may run meanwhile: each
    recompute replaces a case's whole contribution, whoever does it first). From scratch on PostgreSQL, a batch's
    writes (:func:`store_fresh`, in a thread of their own) overlap the reading and computing of the next batch.
    Returns how many cases."""
    with db.transaction() as session:
        if since is None:
            for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsSlice, AnalyticsWeekly, AnalyticsCase):
                session.execute(delete(model).where(model.workspace_id == workspace_id))
        ids = cases_to_rebuild(session, workspace_id, since)
    chunks = [ids[i:i + batch] for i in range(0, len(ids), batch)]
    done = 0
    if since is None:  # nothing stored for these cases: no old contribution to read or lock
        done = _rebuild_fresh(db, chunks, len(ids), progress)
    else:
        for chunk in chunks:
            with db.transaction() as session:
                done += recompute(session, chunk)
            if progress is not None:
                progress(done, len(ids))
    with db.transaction() as session:  # cells a recompute brought back to nothing
        for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsSlice, AnalyticsWeekly):
            session.execute(delete(model).where(model.workspace_id == workspace_id, model.n == 0,
                                                model.total == 0))
        rebuild_presence(session, workspace_id, since)
    return done


def _rebuild_fresh(db: Database, chunks: list[list[int]], total: int,
                   progress: Callable[[int, int], None] | None) -> int:
    """Every batch through :func:`contributions` then :func:`store_fresh` (its own transaction). On PostgreSQL the
    store of batch *k* runs in a second thread while batch *k + 1* is read and computed (the database's work
    overlaps Python's; one batch waits at most); SQLite (one writer) does one after the other."""
    workspaces: dict[int, _Workspace] = {}

    def compute(chunk: list[int]) -> Fresh:
        with db.transaction() as session:
            loader = Loader(session)
            loader.workspaces = workspaces  # settings read once for the whole rebuild
            return contributions(loader, chunk)

    def store(computed: Fresh) -> None:
        with db.transaction() as session:
            store_fresh(session, computed)

    done = 0
    if db.engine.dialect.name != "postgresql":
        for chunk in chunks:
            store(compute(chunk))
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return done
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-store") as pool:
        pending: tuple[Future[None], int] | None = None
        for chunk in chunks:
            computed = compute(chunk)
            if pending is not None:
                pending[0].result()
                done += pending[1]
                if progress is not None:
                    progress(done, total)
            pending = (pool.submit(store, computed), len(chunk))
        if pending is not None:
            pending[0].result()
            done += pending[1]
            if progress is not None:
                progress(done, total)
    return done

