"""Reads of analytics: every figure of the dashboard, the exports and the API, always scoped to one workspace.

Each function takes ``(session, workspace_id, filters)`` and returns a plain dataclass of
:mod:`compris.analytics.figures` (re-exported here). The figures come from the rollups (``analytics_daily`` and
``analytics_hourly``, grouped SQL over an index on ``(workspace_id, metric, day)``); the backlog is live from the
cases table; the expected wait and the guard read their own (small) tables. Definitions: ``docs/analytics.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from compris.analytics import buckets, measures
from compris.analytics.buckets import HistogramBin
from compris.analytics.figures import (
    CLOCKS,
    DEFAULT_TARGET_S,
    MAX_DAYS,
    AgentRow,
    Agents,
    Backlog,
    CasePage,
    Clock,
    Csat,
    Distribution,
    Escalations,
    ExpectedWait,
    Filters,
    Guard,
    GuardRule,
    Heatmap,
    Measure,
    Point,
    ResponseRate,
    ResponseTimes,
    Sla,
    SlaRow,
    Slice,
    Volume,
)
from compris.analytics.rollups import (
    BREAKDOWN_DIMS,
    HOURS,
    PAIR_DIMS,
    PAIR_SEPARATOR,
    PEOPLE_GROUPS,
    PEOPLE_METRICS,
    SLICE_DIMS,
    UNSLICED,
    WEEKLY_SET_NAMES,
    daily_pair_metric,
    slice_value,
    week_of,
    workspace_zone,
)
from compris.inbox.queries import CaseIntent
from compris.kit.errors import Invalid
from compris.models import (
    ACTIVE_STATUSES,
    OPEN_ESCALATION_STATUSES,
    AgentOnlineDay,
    AnalyticsCase,
    AnalyticsDaily,
    AnalyticsHourly,
    AnalyticsSlice,
    AnalyticsWeekly,
    Case,
    CaseStatus,
    ChannelAccount,
    Escalation,
    SlaPolicy,
    Tag,
    Team,
    TeamMember,
    User,
    Workspace,
)

__all__ = [
    "CLOCKS",
    "DEFAULT_TARGET_S",
    "MAX_DAYS",
    "AgentRow",
    "Agents",
    "Backlog",
    "CasePage",
    "Clock",
    "Csat",
    "Distribution",
    "Escalations",
    "ExpectedWait",
    "Filters",
    "Guard",
    "GuardRule",
    "Heatmap",
    "Measure",
    "Point",
    "ResponseRate",
    "ResponseTimes",
    "Sla",
    "SlaRow",
    "Slice",
    "Volume",
    "agents",
    "backlog",
    "cases_behind",
    "csat",
    "distribution",
    "escalations",
    "expected_wait",
    "guard",
    "heatmap",
    "response_rate",
    "response_times",
    "shared_reads",
    "sla",
    "utc_range",
    "volume",
    "zone",
]

# --- reading the rollups ---------------------------------------------------------------------------------------------

Rollup = type[AnalyticsDaily] | type[AnalyticsHourly]
#: the filters that are rollup dimensions, and the name of that dimension in the slices
FILTER_DIMS: dict[str, str] = {"network": "network", "channel_account_id": "account", "team_id": "team",
                               "agent_id": "agent", "intent": "intent", "language": "language",
                               "sentiment": "sentiment", "visibility": "visibility"}
#: a dimension's column in the cubes
CUBE_COLUMN: dict[str, str] = {"network": "network", "account": "channel_account_id", "team": "team_id",
                               "agent": "agent_id", "intent": "intent", "language": "language",
                               "sentiment": "sentiment", "visibility": "visibility", "topic": "topic"}
#: dimensions a slice exists for, per metric (the volume has three more)
_ALWAYS_SLICED = frozenset({"network", "account", "team", "agent", "intent", "language"})
_VOLUME_SLICED = frozenset({"visibility", "sentiment", "topic"})
#: tests set this to read the cubes only (the slices must give the same answers)
FORCE_CUBES = False


def zone(session: Session, workspace_id: int) -> ZoneInfo:
    """The workspace's time zone, from the session's identity map once the workspace is loaded (the figures of a
    report ask for it a dozen times: one query at most rather than one each)."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is not None:  # the identity map holds objects weakly: keep it for the session's other figures
        session.info.setdefault("analytics.workspaces", {})[workspace_id] = workspace
    return workspace_zone(workspace.timezone if workspace is not None else None)


def utc_range(filters: Filters, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period as UTC instants ``[start, end)``: from the first day's midnight to the day after the last."""
    start = datetime.combine(filters.start, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(filters.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _active(filters: Filters) -> list[tuple[str, str]]:
    return [(dim, slice_value(getattr(filters, name))) for name, dim in FILTER_DIMS.items()
            if getattr(filters, name) is not None]


def _cube_where(model: Rollup, workspace_id: int, filters: Filters,
                metrics: Sequence[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        model.workspace_id == workspace_id,
        model.metric.in_(list(metrics)) if len(metrics) != 1 else model.metric == metrics[0],
        model.day >= filters.start, model.day <= filters.end,
    ]
    for name, dim in FILTER_DIMS.items():
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(model, CUBE_COLUMN[dim]) == value)
    return conditions


@lru_cache(maxsize=256)
def _slice_query(by: tuple[str, ...], many_metrics: bool, one_value: bool, hourly: bool) -> Any:
    """The statement of :func:`grouped` over the slices, with its values as bound parameters: built once per shape
    (building a statement cost more than running it, for a report's few dozen small sums)."""
    s = AnalyticsSlice
    dims = [b for b in by if b in CUBE_COLUMN]
    columns: dict[str, Any] = {"metric": s.metric, "day": s.day, "hour": s.hour, "bucket": s.bucket,
                               "policy": s.policy_id, **({dims[0]: s.value} if dims else {})}
    conditions: list[ColumnElement[bool]] = [
        s.workspace_id == bindparam("workspace_id"),
        s.metric.in_(bindparam("metrics", expanding=True)) if many_metrics else s.metric == bindparam("metrics"),
        s.dim == bindparam("dim"), s.day >= bindparam("start"), s.day <= bindparam("end")]
    if one_value:
        conditions.append(s.value == bindparam("value"))
    # the volume has a row per local hour and one per day (hour -1); every other metric has the daily one only
    conditions.append(s.hour >= 0 if hourly else s.hour == -1)
    group = [columns[b] for b in by]
    return select(*group, func.sum(s.n), func.sum(s.total)).where(*conditions).group_by(*group)


#: a session's cube reads shared between the figures (see :func:`shared_reads`)
_SHARED = "analytics.shared_cube_reads"
#: what one shared read groups by: every figure's grouping without a dimension is a part of it
_SHARED_BY = ("metric", "day", "bucket", "policy")
#: ... and the agents' and teams' figures (by agent, by team) a part of this one
_PEOPLE_BY = ("metric", "agent", "team", "bucket")
_PEOPLE_METRICS = frozenset({measures.REPLY, measures.RESOLVED, measures.HANDLE,
                             measures.duration_metric(measures.FRT, "calendar")})


def _shared_metrics(filters: Filters) -> frozenset[str]:
    """The metrics the report's figures read grouped by metric, day, bucket or policy only (no dimension, not
    hourly): volume, response rate, response times on the period's clock, SLA, CSAT, escalations, expected wait,
    the guard's findings."""
    return frozenset({
        measures.MSG_IN, measures.CASE_NEW, measures.NEEDS, measures.RESPONDED, measures.IN_TARGET, measures.MSG_RT,
        *(measures.duration_metric(base, filters.clock) for base in (measures.FRT, measures.NRT, measures.RES)),
        *(f"{kind}:{m}" for kind in (measures.SLA_MET, measures.SLA_BREACH) for m in measures.SLA_METRICS),
        measures.CSAT_SENT, measures.CSAT_ANSWERED, measures.CSAT_SATISFIED,
        measures.ESC_CREATED, measures.ESC_OVERDUE, measures.ESC_RESPONSE,
        measures.WAIT_ANNOUNCED, measures.WAIT_ACTUAL, measures.WAIT_ERROR, measures.WAIT_WITHIN,
        *_guard_metrics(),
    })


@lru_cache(maxsize=1)
def _guard_metrics() -> tuple[str, ...]:
    """The metrics of the reply guard's findings, each rule's and its overrides'."""
    from compris.replies.guard import rule_ids

    return tuple(measures.guard_metric(r, overridden=o) for r in rule_ids() for o in (False, True))


@contextmanager
def shared_reads(session: Session) -> Iterator[None]:
    """Within this block, the figures that read the full cube (two filters or more: no one-dimension slice answers
    them) share one read per workspace and filters — every metric they need, grouped by metric, day, bucket and
    policy; and one for the agents' and teams' figures, by metric, agent, team and bucket — instead of a scan of
    the same cube rows per figure (the report asked about ten). Each figure then sums its part in memory. The
    reads are kept for the block only (a report's figures are read at one moment)."""
    if _SHARED in session.info:
        yield
        return
    session.info[_SHARED] = {}
    try:
        yield
    finally:
        session.info.pop(_SHARED, None)


def _shared_family(filters: Filters, metrics: Sequence[str],
                   by: Sequence[str]) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The shared read a grouping is a part of (its grouping and metrics), if any."""
    if set(by) <= set(_SHARED_BY) and set(metrics) <= (every := _shared_metrics(filters)):
        return _SHARED_BY, every
    if set(by) <= set(_PEOPLE_BY) and set(metrics) <= _PEOPLE_METRICS:
        return _PEOPLE_BY, _PEOPLE_METRICS
    return None


def _regroup(rows: list[tuple[Any, ...]], family: tuple[str, ...], metrics: Sequence[str],
             by: Sequence[str]) -> list[tuple[Any, ...]]:
    wanted = set(metrics)
    positions = [family.index(b) for b in by]
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        if row[0] not in wanted:
            continue
        cell = sums.setdefault(tuple(row[i] for i in positions), [0, 0.0])
        cell[0] += row[-2]
        cell[1] += row[-1]
    return [(*key, n, total) for key, (n, total) in sums.items()]


def grouped(session: Session, workspace_id: int, filters: Filters, metrics: Sequence[str],
            by: Sequence[str], *, hourly: bool = False) -> list[tuple[Any, ...]]:
    """``sum(n)``, ``sum(total)`` of ``metrics`` under ``filters``, grouped by ``by`` — among ``metric``, ``day``,
    ``hour`` (local; ``hourly`` only), ``bucket``, ``policy`` and at most one dimension (``network``, ``account``,
    ``team``, ``agent``, ``intent``, ``language``, ``sentiment``, ``visibility``, ``topic``). Each row: the values of
    ``by`` (a dimension's as text, ``""`` for none), then n and total.

    Not per day or hour, over a period holding whole weeks, it reads the weekly sets that answer (at most two
    filters, or one filter and a grouping, :func:`weekly_set`) for those weeks and this again for the days around
    them. Otherwise, with at most one filter or dimension in all, it reads the slices (a few rows per day); else
    the cube with every dimension (``analytics_daily``, or ``analytics_hourly`` for hours)."""
    active = _active(filters)
    dims = [b for b in by if b in CUBE_COLUMN]
    if "week" in by:  # the weekly sets, else the days folded into their weeks
        weekly = None if FORCE_CUBES or hourly or UNSLICED & set(metrics) else _weekly(
            session, workspace_id, filters, metrics, by, active, dims)
        return weekly if weekly is not None else _fold_weeks(
            grouped(session, workspace_id, filters, metrics, _daily(by), hourly=hourly), by, filters.start)
    wanted = [d for d, _v in active] + dims
    if not hourly and not {"day", "hour"} & set(by) and not FORCE_CUBES and not UNSLICED & set(metrics):
        weekly = _weekly(session, workspace_id, filters, metrics, by, active, dims)
        if weekly is not None:
            return weekly
    sliced = _ALWAYS_SLICED | (_VOLUME_SLICED if set(metrics) <= {measures.MSG_IN} else frozenset())
    pair = _daily_pair(active, metrics) if not (FORCE_CUBES or hourly or dims) else None
    if pair is not None or (not FORCE_CUBES and len(wanted) <= 1 and all(d in sliced for d in wanted)
                            and not UNSLICED & set(metrics)):
        dim, value = pair or (active[0] if active else (dims[0], None) if dims else ("", ""))
        params: dict[str, Any] = {"workspace_id": workspace_id, "dim": dim, "start": filters.start,
                                  "end": filters.end, "metrics": list(metrics) if len(metrics) != 1 else metrics[0],
                                  **({"value": value} if value is not None else {})}
        statement = _slice_query(tuple(by), len(metrics) != 1, value is not None, hourly)
        rows = session.execute(statement, params)
        return [(*r[:-2], int(r[-2] or 0), float(r[-1] or 0.0)) for r in rows]
    shared = session.info.get(_SHARED)
    family = _shared_family(filters, metrics, by) if shared is not None and not hourly else None
    if shared is not None and family is not None:
        family_by, every = family
        key = (workspace_id, filters, family_by)
        if key not in shared:
            shared[key] = _cube_rows(session, workspace_id, filters, sorted(every), family_by, hourly=False)
        return _regroup(shared[key], family_by, metrics, by)
    return _cube_rows(session, workspace_id, filters, metrics, by, hourly=hourly)


# --- the weekly sets ---------------------------------------------------------------------------------------------


def week_split(filters: Filters) -> tuple[date, date, list[Filters]] | None:
    """The whole weeks (Monday to Sunday) inside the period, as the Mondays of the first and the last, and the
    period's days before and after them (at most six each); None without a whole week."""
    first = filters.start + timedelta(days=(7 - filters.start.weekday()) % 7)
    last = week_of(filters.end + timedelta(days=1)) - timedelta(days=7)  # the Monday of the last whole week
    if last < first:
        return None
    edges = []
    if filters.start < first:
        edges.append(filters.with_period(filters.start, first - timedelta(days=1)))
    if last + timedelta(days=6) < filters.end:
        edges.append(filters.with_period(last + timedelta(days=7), filters.end))
    return first, last, edges


#: where a grouping's values are in a weekly set: the set's ``value`` (one dimension, all its values), its ``grp``,
#: or a constant (grouping by the filter's own dimension)
_Source = tuple[str, str | None, str | None, str | None]  # dim, value (None: every value), group column, constant


def weekly_set(active: Sequence[tuple[str, str]], dims: Sequence[str],
               metrics: Sequence[str]) -> _Source | None:
    """The weekly set that answers ``metrics`` under the filters ``active`` grouped by ``dims`` (one dimension at
    most), if one does: ``(set, filter value, group column, constant group value)``."""
    if len(dims) > 1 or UNSLICED & set(metrics):
        return None
    volume = set(metrics) <= {measures.MSG_IN}
    single = set(SLICE_DIMS) | (set(_VOLUME_SLICED) if volume else set())
    group = dims[0] if dims else None
    if not active:
        if group is None:
            return "", "", None, None
        return (group, None, "value", None) if group in single else None
    if len(active) == 1:
        dim, value = active[0]
        if dim not in single:
            return None
        if group is None:
            return dim, value, None, None
        if group == dim:
            return dim, value, None, value
        if dim in SLICE_DIMS and ((group in PEOPLE_GROUPS and set(metrics) <= PEOPLE_METRICS)
                                  or (volume and group in BREAKDOWN_DIMS)):
            return f"{dim}>{group}", value, "grp", None
        return None
    agent_pair = _agent_pair(active)
    if agent_pair is not None:  # every metric, no grouping but its own dimensions
        (x, v), (_agent, a) = agent_pair
        name, value = f"{x}+agent", f"{v}{PAIR_SEPARATOR}{a}"
        if group is None:
            return name, value, None, None
        return (name, value, None, v if group == x else a) if group in (x, "agent") else None
    pairs = _pair(active)
    if pairs is not None:
        (x, v), (y, w) = pairs
        pair, value = f"{x}+{y}", f"{v}{PAIR_SEPARATOR}{w}"
        if group is None:
            return pair, value, None, None
        if group in (x, y):
            return pair, value, None, v if group == x else w
        if f"{pair}>{group}" in WEEKLY_SET_NAMES and (
                (group in PEOPLE_GROUPS and set(metrics) <= PEOPLE_METRICS) or (volume and group in BREAKDOWN_DIMS)):
            return f"{pair}>{group}", value, "grp", None
    return None


def _daily(by: Sequence[str]) -> tuple[str, ...]:
    return tuple("day" if b == "week" else b for b in by)


def _summed(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows ``(*key, n, total)`` with the same key summed into one."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        cell = sums.setdefault(tuple(row[:-2]), [0, 0.0])
        cell[0] += int(row[-2] or 0)
        cell[1] += float(row[-1] or 0.0)
    return [(*key, n, total) for key, (n, total) in sums.items()]


def _fold_weeks(rows: Iterable[tuple[Any, ...]], by: Sequence[str], start: date) -> list[tuple[Any, ...]]:
    """Rows grouped by day (at ``by``'s "week") summed into their weeks, each named by its Monday or, for the
    period's first week, by the period's first day."""
    position = list(by).index("week")
    return _summed((*row[:position], max(week_of(row[position]), start), *row[position + 1:]) for row in rows)


def _weekly(session: Session, workspace_id: int, filters: Filters, metrics: Sequence[str], by: Sequence[str],
            active: Sequence[tuple[str, str]], dims: Sequence[str]) -> list[tuple[Any, ...]] | None:
    """:func:`grouped` (not per day or hour) from the weekly sets over the period's whole weeks, and the days
    around them at day grain; None if the period holds no whole week or no set answers."""
    split = week_split(filters)
    source = weekly_set(active, dims, metrics) if split is not None else None
    if split is None or source is None:
        return None
    first, last, edges = split
    name, value, column, constant = source
    w = AnalyticsWeekly
    columns: dict[str, Any] = {"metric": w.metric, "bucket": w.bucket, "policy": w.policy_id, "week": w.week}
    if dims and constant is None:
        columns[dims[0]] = getattr(w, column or "value")
    conditions: list[ColumnElement[bool]] = [
        w.workspace_id == workspace_id,
        w.metric.in_(list(metrics)) if len(metrics) != 1 else w.metric == metrics[0],
        w.dim == name, w.week >= first, w.week <= last]
    if value is not None:
        conditions.append(w.value == value)
    read = [b for b in by if b in columns]
    group = [columns[b] for b in read]
    rows: list[tuple[Any, ...]] = []
    for found_row in session.execute(select(*group, func.sum(w.n), func.sum(w.total)).where(*conditions)
                                     .group_by(*group)):
        found = dict(zip(read, found_row[:-2], strict=True))
        rows.append((*(found.get(b, constant) for b in by), found_row[-2], found_row[-1]))
    for edge in edges:
        days = grouped(session, workspace_id, edge, metrics, _daily(by))
        rows += _fold_weeks(days, by, filters.start) if "week" in by else days
    return _summed(rows)


def _pair(active: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The two filters, in the order of :data:`PAIR_DIMS`, if they are a pair the rollups keep."""
    if len(active) != 2 or not all(d in PAIR_DIMS for d, _v in active):
        return None
    x, y = sorted(active, key=lambda a: PAIR_DIMS.index(a[0]))
    return x, y


def _agent_pair(active: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The filter and the agent, if the two filters are the agent and a dimension of :data:`PAIR_DIMS`."""
    if len(active) != 2:
        return None
    x, y = sorted(active, key=lambda a: a[0] == "agent")
    return (x, y) if y[0] == "agent" and x[0] in PAIR_DIMS else None


def _daily_pair(active: Sequence[tuple[str, str]], metrics: Sequence[str]) -> tuple[str, str] | None:
    """The slice of a pair of filters (``dim``, ``value``) that holds ``metrics`` per day, if one does."""
    pair = _pair(active)
    if pair is None or not all(daily_pair_metric(m) for m in metrics):
        return None
    (x, v), (y, w) = pair
    return f"{x}+{y}", f"{v[:31]}{PAIR_SEPARATOR}{w[:32]}"


def _cube_rows(session: Session, workspace_id: int, filters: Filters, metrics: Sequence[str],
               by: Sequence[str], *, hourly: bool) -> list[tuple[Any, ...]]:
    """:func:`grouped` read from the cube with every dimension (``analytics_daily``, or ``analytics_hourly``)."""
    dims = [b for b in by if b in CUBE_COLUMN]
    model: Rollup = AnalyticsHourly if hourly else AnalyticsDaily
    columns = {"metric": model.metric, "day": model.day, "bucket": model.bucket, "policy": model.policy_id,
               **{d: getattr(model, CUBE_COLUMN[d]) for d in dims}}
    if hourly:
        columns["hour"] = AnalyticsHourly.hour
    group = [columns[b] for b in by]
    rows = session.execute(select(*group, func.sum(model.n), func.sum(model.total))
                           .where(*_cube_where(model, workspace_id, filters, metrics)).group_by(*group))
    out = []
    for r in rows:
        values = [slice_value(v) if b in CUBE_COLUMN else v for b, v in zip(by, r[:-2], strict=True)]
        out.append((*values, int(r[-2] or 0), float(r[-1] or 0.0)))
    return out


def _sums(session: Session, workspace_id: int, filters: Filters,
          metrics: Sequence[str]) -> dict[str, tuple[int, float]]:
    found = {str(m): (n, t) for m, n, t in grouped(session, workspace_id, filters, metrics, ("metric",))}
    return {m: found.get(m, (0, 0.0)) for m in metrics}


def _histograms(session: Session, workspace_id: int, filters: Filters,
                metrics: Sequence[str]) -> dict[str, tuple[dict[int, int], float]]:
    """``metric -> ({bucket: count}, total seconds)``."""
    counts: dict[str, dict[int, int]] = {m: {} for m in metrics}
    totals: dict[str, float] = defaultdict(float)
    for metric, bucket, n, total in grouped(session, workspace_id, filters, metrics, ("metric", "bucket")):
        if n:
            counts[str(metric)][int(bucket)] = counts[str(metric)].get(int(bucket), 0) + n
        totals[str(metric)] += total
    return {m: (counts[m], totals[m]) for m in metrics}


def distribution(counts: dict[int, int], total_s: float) -> Distribution:
    """A :class:`Distribution` from bucket counts (the histogram lists every bucket up to the last non-empty one)."""
    count = sum(counts.values())
    if not count:
        return Distribution(0, None, None, None, [])
    bins = [HistogramBin(*buckets.bucket_bounds(index), counts.get(index, 0)) for index in range(max(counts) + 1)]
    return Distribution(count, _round(buckets.percentile(counts, 0.5)), _round(buckets.percentile(counts, 0.9)),
                        round(total_s / count, 1), bins)


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


#: the trends are per day up to this many days, per week beyond (per hour up to two days)
TREND_DAILY_MAX_DAYS = 31


def trend_step(filters: Filters) -> str:
    """The step of the trends: ``hour`` (two days or less), ``day`` (up to :data:`TREND_DAILY_MAX_DAYS`) or
    ``week`` (longer periods: a point per week, Monday to Sunday, the first one from the period's first day)."""
    if filters.days <= 2:
        return "hour"
    return "day" if filters.days <= TREND_DAILY_MAX_DAYS else "week"


def _days(filters: Filters) -> list[date]:
    """The first day of each point of the period's daily or weekly trend."""
    if trend_step(filters) != "week":
        return [filters.start + timedelta(days=i) for i in range(filters.days)]
    first = week_of(filters.start) + timedelta(days=7)
    return [filters.start, *(first + timedelta(weeks=i) for i in range((filters.end - first).days // 7 + 1))]


def _step(filters: Filters) -> str:
    """What a daily or weekly trend groups by."""
    return "week" if trend_step(filters) == "week" else "day"


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _labels(session: Session, workspace_id: int, kind: str, ids: Iterable[int]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    if kind == "account":
        query = select(ChannelAccount.id, ChannelAccount.name).where(ChannelAccount.workspace_id == workspace_id,
                                                                      ChannelAccount.id.in_(wanted))
    elif kind == "team":
        query = select(Team.id, Team.name).where(Team.workspace_id == workspace_id, Team.id.in_(wanted))
    else:
        query = select(User.id, User.name).where(User.workspace_id == workspace_id, User.id.in_(wanted))
    return {int(i): str(n) for i, n in session.execute(query)}


def _slices(counter: dict[str, int], labels: dict[str, str] | None = None) -> list[Slice]:
    labels = labels or {}
    return sorted((Slice(k, labels.get(k, k), v) for k, v in counter.items() if v),
                  key=lambda s: (-s.value, s.key))


# --- figures -------------------------------------------------------------------------------------------------------

VOLUME_BREAKDOWNS = ("network", "account", "visibility", "intent", "sentiment", "language", "topic")


def volume(session: Session, workspace_id: int, filters: Filters) -> Volume:
    """Customer messages and new cases, by network, account, visibility, intent, sentiment, language, topic and hour
    of day, with their trends (per hour for a period of two days or less, per day up to 31 days, per week
    beyond: :func:`trend_step`)."""
    tz = zone(session, workspace_id)
    sums = _sums(session, workspace_id, filters, (measures.MSG_IN, measures.CASE_NEW))
    groups = _breakdowns(session, workspace_id, filters)
    accounts = _labels(session, workspace_id, "account", (int(k) for k in groups["account"] if k))
    by_hour = {hour: 0 for hour in range(24)}
    if _pair_hours(filters) is not None:
        for (_weekday, hour), n in week_hours(session, workspace_id, filters).items():
            by_hour[hour] += n
    else:
        for hour, n, _t in grouped(session, workspace_id, filters, (measures.MSG_IN,), ("hour",), hourly=True):
            by_hour[int(hour)] += n
    trend: dict[str, dict[datetime, int]] = {measures.MSG_IN: {}, measures.CASE_NEW: {}}
    metrics = (measures.MSG_IN, measures.CASE_NEW)
    if trend_step(filters) == "hour":
        for day in _days(filters):
            for hour in range(24):
                at = _day_start(day, tz).replace(hour=hour)
                trend[measures.MSG_IN][at] = trend[measures.CASE_NEW][at] = 0
        for metric, day, hour, n, _t in grouped(session, workspace_id, filters, metrics, ("metric", "day", "hour"),
                                                hourly=True):
            trend[str(metric)][_day_start(day, tz).replace(hour=int(hour))] = n
    else:
        for day in _days(filters):
            trend[measures.MSG_IN][_day_start(day, tz)] = trend[measures.CASE_NEW][_day_start(day, tz)] = 0
        for metric, day, n, _t in grouped(session, workspace_id, filters, metrics, ("metric", _step(filters))):
            trend[str(metric)][_day_start(day, tz)] = n
    return Volume(
        messages=sums[measures.MSG_IN][0], new_cases=sums[measures.CASE_NEW][0],
        by_network=_slices(groups["network"]),
        by_account=_slices(groups["account"], {str(k): v for k, v in accounts.items()}),
        by_visibility=_slices(groups["visibility"]), by_intent=_slices(groups["intent"]),
        by_sentiment=_slices(groups["sentiment"]), by_language=_slices(groups["language"]),
        by_topic=_slices(groups["topic"]),
        by_hour=[Slice(str(hour), f"{hour:02d}", by_hour[hour]) for hour in range(24)],
        trend_messages=[Point(at, float(v)) for at, v in sorted(trend[measures.MSG_IN].items())],
        trend_cases=[Point(at, float(v)) for at, v in sorted(trend[measures.CASE_NEW].items())],
        by_tag=by_tag(session, workspace_id, filters),
    )


def _breakdowns(session: Session, workspace_id: int, filters: Filters) -> dict[str, dict[str, int]]:
    """The customer messages by each of :data:`VOLUME_BREAKDOWNS` (value as text -> count), in one query per
    source: the weekly sets over the period's whole weeks (and this again over the days around them), else the
    slices (no filter) or the cube (one pass for every breakdown)."""
    groups: dict[str, dict[str, int]] = {k: defaultdict(int) for k in VOLUME_BREAKDOWNS}
    active = _active(filters)
    split = week_split(filters) if not FORCE_CUBES else None
    sources = {b: weekly_set(active, [b], (measures.MSG_IN,)) for b in VOLUME_BREAKDOWNS} if split else {}
    if split is not None and all(sources.values()):
        first, last, edges = split
        w = AnalyticsWeekly
        read = {b: source for b, source in sources.items() if source is not None and source[3] is None}
        column = w.grp if any(source[2] == "grp" for source in read.values()) else w.value
        value = next(iter(read.values()))[1]
        by_set = {source[0]: b for b, source in read.items()}
        query = (select(w.dim, column, func.sum(w.n))
                 .where(w.workspace_id == workspace_id, w.metric == measures.MSG_IN, w.dim.in_(list(by_set)),
                        w.week >= first, w.week <= last)
                 .group_by(w.dim, column))
        if value is not None:
            query = query.where(w.value == value)
        for name, key, n in session.execute(query):
            groups[by_set[str(name)]][str(key)] += int(n or 0)
        for edge in edges:
            for name, counts in _breakdowns(session, workspace_id, edge).items():
                for key, n in counts.items():
                    groups[name][key] += n
        for b, source in sources.items():  # the filter's own dimension: all of them under its value
            if source is not None and source[3] is not None:
                other = next(iter(read))
                groups[b] = defaultdict(int, {source[3]: sum(groups[other].values())})
        return groups
    if (active and not FORCE_CUBES) or FORCE_CUBES:  # one pass over the cube rather than one per breakdown
        d = AnalyticsDaily
        columns = [getattr(d, CUBE_COLUMN[b]) for b in VOLUME_BREAKDOWNS]
        for row in session.execute(select(*columns, func.sum(d.n))
                                   .where(*_cube_where(d, workspace_id, filters, (measures.MSG_IN,)))
                                   .group_by(*columns)):
            count = int(row[-1] or 0)
            for name, value_ in zip(VOLUME_BREAKDOWNS, row[:-1], strict=True):
                groups[name][slice_value(value_)] += count
    else:  # no filter: every breakdown is a slice of the customer messages, all read in one query
        s = AnalyticsSlice
        for dim, value_, n in session.execute(
                select(s.dim, s.value, func.sum(s.n))
                .where(s.workspace_id == workspace_id, s.metric == measures.MSG_IN, s.dim.in_(VOLUME_BREAKDOWNS),
                       s.day >= filters.start, s.day <= filters.end, s.hour == -1)
                .group_by(s.dim, s.value)):
            groups[str(dim)][str(value_)] += int(n or 0)
    return groups


def by_tag(session: Session, workspace_id: int, filters: Filters) -> list[Slice]:
    """New cases of the period carrying each tag now (a case counts under each of its tags)."""
    names = {measures.tag_metric(int(i)): (str(i), str(name)) for i, name in session.execute(
        select(Tag.id, Tag.name).where(Tag.workspace_id == workspace_id))}
    if not names:
        return []
    counts: dict[str, int] = {}
    for metric, n, _total in grouped(session, workspace_id, filters, list(names), ("metric",)):
        if n:
            counts[names[metric][0]] = counts.get(names[metric][0], 0) + n
    return _slices(counts, {key: name for key, name in names.values()})


def response_rate(session: Session, workspace_id: int, filters: Filters, *,
                  target_s: int = DEFAULT_TARGET_S) -> ResponseRate:
    """Share of the customer messages needing a response that got one, and within ``target_s`` (exact for the
    default target and the round targets of ``buckets.ROUND_TARGETS``; else counted up to the boundary below)."""
    if target_s <= 0:
        raise Invalid.of("The target must be positive.")
    tz = zone(session, workspace_id)
    sums = _sums(session, workspace_id, filters, (measures.NEEDS, measures.RESPONDED, measures.IN_TARGET))
    if target_s == DEFAULT_TARGET_S:
        within = sums[measures.IN_TARGET][0]
    else:
        counts, _total = _histograms(session, workspace_id, filters, (measures.MSG_RT,))[measures.MSG_RT]
        within, _all = buckets.share_within(counts, target_s)
    per_day: dict[date, list[int]] = {day: [0, 0] for day in _days(filters)}
    for metric, day, n, _t in grouped(session, workspace_id, filters, (measures.NEEDS, measures.RESPONDED),
                                      ("metric", _step(filters))):
        per_day.setdefault(day, [0, 0])[0 if metric == measures.NEEDS else 1] = n
    trend = [Point(_day_start(day, tz), _percent(v[1], v[0])) for day, v in sorted(per_day.items())]
    return ResponseRate(sums[measures.NEEDS][0], sums[measures.RESPONDED][0], within, target_s, trend)


def response_times(session: Session, workspace_id: int, filters: Filters) -> ResponseTimes:
    """First response, next response and resolution times on ``filters.clock``."""
    tz = zone(session, workspace_id)
    names = {base: measures.duration_metric(base, filters.clock) for base in (measures.FRT, measures.NRT,
                                                                               measures.RES)}
    found = _histograms(session, workspace_id, filters, list(names.values()))
    per_day: dict[str, dict[date, dict[int, int]]] = {names[measures.FRT]: {}, names[measures.RES]: {}}
    for metric, day, bucket, n, _t in grouped(session, workspace_id, filters,
                                              (names[measures.FRT], names[measures.RES]),
                                              ("metric", _step(filters), "bucket")):
        per_day[str(metric)].setdefault(day, {})[int(bucket)] = n

    def trend(metric: str) -> list[Point]:
        return [Point(_day_start(day, tz), _round(buckets.percentile(per_day[metric].get(day, {}), 0.5)))
                for day in _days(filters)]

    return ResponseTimes(
        filters.clock,
        distribution(*found[names[measures.FRT]]),
        distribution(*found[names[measures.NRT]]),
        distribution(*found[names[measures.RES]]),
        trend(names[measures.FRT]), trend(names[measures.RES]),
    )


def sla(session: Session, workspace_id: int, filters: Filters) -> Sla:
    """SLA attainment per metric and policy (met / (met + breached)), and the breaches."""
    tz = zone(session, workspace_id)
    metrics = [f"{kind}:{m}" for kind in (measures.SLA_MET, measures.SLA_BREACH) for m in measures.SLA_METRICS]
    cells: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    breaches_per_day: dict[date, int] = {day: 0 for day in _days(filters)}
    for metric, policy_id, day, n, _t in grouped(session, workspace_id, filters, metrics,
                                                 ("metric", "policy", _step(filters))):
        kind, sla_metric = str(metric).split(":", 1)
        cells[(sla_metric, int(policy_id))][0 if kind == measures.SLA_MET else 1] += n
        if kind == measures.SLA_BREACH:
            breaches_per_day[day] = breaches_per_day.get(day, 0) + n
    names = {int(i): str(n) for i, n in session.execute(
        select(SlaPolicy.id, SlaPolicy.name).where(SlaPolicy.workspace_id == workspace_id))}
    order = {m: i for i, m in enumerate(measures.SLA_METRICS)}
    rows = [SlaRow(metric, policy or None, names.get(policy, ""), met, breached)
            for (metric, policy), (met, breached) in sorted(cells.items(), key=lambda c: (order[c[0][0]], c[0][1]))]
    return Sla(rows, sum(r.breached for r in rows),
               [Point(_day_start(day, tz), float(v)) for day, v in sorted(breaches_per_day.items())])


def csat(session: Session, workspace_id: int, filters: Filters) -> Csat:
    """Surveys sent in the period, their answers (whenever they came), satisfied answers and the mean score."""
    tz = zone(session, workspace_id)
    names = (measures.CSAT_SENT, measures.CSAT_ANSWERED, measures.CSAT_SATISFIED)
    sums = _sums(session, workspace_id, filters, names)
    per_day: dict[date, list[int]] = {day: [0, 0] for day in _days(filters)}
    for metric, day, n, _t in grouped(session, workspace_id, filters,
                                      (measures.CSAT_ANSWERED, measures.CSAT_SATISFIED),
                                      ("metric", _step(filters))):
        per_day.setdefault(day, [0, 0])[0 if metric == measures.CSAT_ANSWERED else 1] = n
    return Csat(sums[measures.CSAT_SENT][0], sums[measures.CSAT_ANSWERED][0], sums[measures.CSAT_SATISFIED][0],
                round(sums[measures.CSAT_ANSWERED][1]),
                [Point(_day_start(day, tz), _percent(v[1], v[0])) for day, v in sorted(per_day.items())])


def _case_filters(workspace_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    """The filters on the live cases table (the period aside): team, assignee, last account, its network, intent,
    language and sentiment of the case's triage."""
    conditions: list[ColumnElement[bool]] = [Case.workspace_id == workspace_id]
    if filters.team_id is not None:
        conditions.append(Case.team_id == filters.team_id)
    if filters.agent_id is not None:
        conditions.append(Case.assignee_id == filters.agent_id)
    if filters.channel_account_id is not None:
        conditions.append(Case.last_channel_account_id == filters.channel_account_id)
    if filters.network is not None:
        conditions.append(Case.last_channel_account_id.in_(
            select(ChannelAccount.id).where(ChannelAccount.workspace_id == workspace_id,
                                            ChannelAccount.network == filters.network)))
    if filters.language is not None:
        conditions.append(Case.language == filters.language)
    if filters.intent is not None:  # written as ix_cases_active_intent has it (PostgreSQL)
        conditions.append(CaseIntent() == filters.intent)
    if filters.sentiment is not None:
        conditions.append(Case.triage["sentiment"].as_string() == filters.sentiment)
    return conditions


def backlog(session: Session, workspace_id: int, filters: Filters) -> Backlog:
    """Now, from the cases table (``ix_cases_ws_status_activity``, which carries what is counted) and the oldest waiting
    from ``ix_analytics_cases_ws_waiting``: the period is ignored, the other filters apply
    (to the case: its team, assignee, last account and triage)."""
    conditions = [*_case_filters(workspace_id, filters), Case.status.in_([s.value for s in ACTIVE_STATUSES])]
    by_status: dict[str, int] = defaultdict(int)
    by_team: dict[str, int] = defaultdict(int)
    unassigned = 0
    for status, team_id, has_assignee, n in session.execute(
        select(Case.status, Case.team_id, Case.assignee_id.is_not(None), func.count())
        .where(*conditions).group_by(Case.status, Case.team_id, Case.assignee_id.is_not(None))
    ):
        by_status[str(status)] += int(n)
        by_team[str(team_id or "")] += int(n)
        if not has_assignee:
            unassigned += int(n)
    # the walk of ix_analytics_cases_ws_waiting (new or open cases with a message unanswered, as the rollup last saw
    # them), each checked against the case as it is now
    oldest = session.execute(
        select(AnalyticsCase.waiting_since, AnalyticsCase.case_id)
        .join(Case, Case.id == AnalyticsCase.case_id)
        .where(*conditions, AnalyticsCase.workspace_id == workspace_id, AnalyticsCase.waiting_since.is_not(None),
               Case.status.in_([CaseStatus.NEW.value, CaseStatus.OPEN.value]))
        .order_by(AnalyticsCase.waiting_since).limit(1)
    ).first()
    teams = _labels(session, workspace_id, "team", (int(k) for k in by_team if k))
    return Backlog(
        open=sum(by_status.values()), new=by_status[CaseStatus.NEW.value], unassigned=unassigned,
        waiting_customer=by_status[CaseStatus.WAITING_CUSTOMER.value],
        waiting_partner=by_status[CaseStatus.WAITING_PARTNER.value], snoozed=by_status[CaseStatus.SNOOZED.value],
        oldest_waiting_since=oldest[0] if oldest else None, oldest_case_id=int(oldest[1]) if oldest else None,
        by_team=_slices(dict(by_team), {str(k): v for k, v in teams.items()}),
    )


def agents(session: Session, workspace_id: int, filters: Filters) -> Agents:
    """Per agent and per team: answers sent, resolutions, first responses (and their median, calendar time),
    handle time and time online."""
    frt = measures.duration_metric(measures.FRT, "calendar")
    metrics = (measures.REPLY, measures.RESOLVED, measures.HANDLE, frt)
    per: dict[str, dict[int, dict[str, Any]]] = {"agent": {}, "team": {}}
    for kind in ("agent", "team"):
        for metric, key, bucket, n, total in grouped(session, workspace_id, filters, metrics,
                                                     ("metric", kind, "bucket")):
            row = per[kind].setdefault(int(key or 0), {"reply": 0, "resolved": 0, "handle": 0.0,
                                                       "frt": defaultdict(int)})
            if metric == measures.REPLY:
                row["reply"] += n
            elif metric == measures.RESOLVED:
                row["resolved"] += n
            elif metric == measures.HANDLE:
                row["handle"] += total
            else:
                row["frt"][int(bucket)] += n
    online_agents: dict[int, float] = {}
    o = AgentOnlineDay  # a row per agent and local day: a year is 365 rows an agent, not 200,000 minutes
    online_query = (select(o.user_id, func.sum(o.minutes))
                    .where(o.workspace_id == workspace_id, o.day >= filters.start, o.day <= filters.end)
                    .group_by(o.user_id))
    if filters.agent_id is not None:
        online_query = online_query.where(o.user_id == filters.agent_id)
    for user_id, n in session.execute(online_query):
        online_agents[int(user_id)] = int(n or 0) * 60.0
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in session.execute(
        select(TeamMember.team_id, TeamMember.user_id).where(TeamMember.workspace_id == workspace_id)):
        members[int(team_id)].add(int(user_id))
    if filters.team_id is not None:  # the team's own agents are listed even without a figure
        for user_id in members.get(filters.team_id, set()):
            if filters.agent_id is None or filters.agent_id == user_id:
                per["agent"].setdefault(user_id, {"reply": 0, "resolved": 0, "handle": 0.0, "frt": {}})
        online_agents = {u: s for u, s in online_agents.items() if u in members.get(filters.team_id, set())}
    for user_id in online_agents:
        per["agent"].setdefault(user_id, {"reply": 0, "resolved": 0, "handle": 0.0, "frt": {}})
    if filters.agent_id is None:
        for team_id, users in members.items():
            if (filters.team_id is None or filters.team_id == team_id) and any(u in online_agents for u in users):
                per["team"].setdefault(team_id, {"reply": 0, "resolved": 0, "handle": 0.0, "frt": {}})
    names = {"agent": _labels(session, workspace_id, "user", per["agent"]),
             "team": _labels(session, workspace_id, "team", per["team"])}

    def rows(kind: str) -> list[AgentRow]:
        out = []
        for key, row in per[kind].items():
            online = online_agents.get(key, 0.0) if kind == "agent" else sum(
                online_agents.get(u, 0.0) for u in members.get(key, set()))
            counts = dict(row["frt"])
            out.append(AgentRow(key or None, names[kind].get(key, ""), row["reply"], row["resolved"],
                                sum(counts.values()), round(row["handle"], 1), online,
                                _round(buckets.percentile(counts, 0.5))))
        return sorted(out, key=lambda r: (r.id is None, r.name.lower(), r.id or 0))

    return Agents(rows("agent"), rows("team"))


def expected_wait(session: Session, workspace_id: int, filters: Filters) -> ExpectedWait:
    """The waits announced when cases opened or reopened in the period (``wait_predictions``, rolled up on the day
    announced), against the first response each actually got."""
    names = (measures.WAIT_ANNOUNCED, measures.WAIT_ACTUAL, measures.WAIT_ERROR, measures.WAIT_WITHIN)
    sums = _sums(session, workspace_id, filters, names)
    (announced, predicted), (answered, actual) = sums[measures.WAIT_ANNOUNCED], sums[measures.WAIT_ACTUAL]
    error = sums[measures.WAIT_ERROR][1]
    return ExpectedWait(announced, answered, _round(predicted / announced) if announced else None,
                        _round(actual / answered) if answered else None,
                        _round(error / answered) if answered else None, sums[measures.WAIT_WITHIN][0])


def guard(session: Session, workspace_id: int, filters: Filters) -> Guard:
    """The reply guard's findings in the period and how many the agents overrode, per rule (each finding on the
    agent who wrote the reply)."""
    from compris.replies.guard import rule_ids

    rules = {measures.guard_metric(r): r for r in rule_ids()}
    overridden = {measures.guard_metric(r, overridden=True): r for r in rule_ids()}  # both: _guard_metrics()
    counts: dict[str, list[int]] = {}
    for metric, n, _total in grouped(session, workspace_id, filters, [*rules, *overridden], ("metric",)):
        if metric in rules:
            counts.setdefault(rules[metric], [0, 0])[0] += n
        elif metric in overridden:
            counts.setdefault(overridden[metric], [0, 0])[1] += n
    found = sorted((GuardRule(rule, n, o) for rule, (n, o) in counts.items() if n),
                   key=lambda r: (-r.findings, r.rule))
    return Guard(sum(r.findings for r in found), sum(r.overridden for r in found), found)


def escalations(session: Session, workspace_id: int, filters: Filters) -> Escalations:
    """Escalations created in the period, answered, overdue; the partner's response time; open now."""
    names = (measures.ESC_CREATED, measures.ESC_OVERDUE)
    sums = _sums(session, workspace_id, filters, names)
    counts, total = _histograms(session, workspace_id, filters, (measures.ESC_RESPONSE,))[measures.ESC_RESPONSE]
    open_query = select(func.count()).select_from(Escalation).where(
        Escalation.workspace_id == workspace_id,
        Escalation.status.in_([s.value for s in OPEN_ESCALATION_STATUSES]))
    if any(getattr(filters, n) is not None for n in ("team_id", "agent_id", "network", "channel_account_id",
                                                     "intent", "language", "sentiment")):
        open_query = open_query.join(Case, Case.id == Escalation.case_id).where(
            *_case_filters(workspace_id, filters))
    dist = distribution(counts, total)
    return Escalations(sums[measures.ESC_CREATED][0], dist.count, sums[measures.ESC_OVERDUE][0],
                       int(session.scalar(open_query) or 0), dist)


def heatmap(session: Session, workspace_id: int, filters: Filters) -> Heatmap:
    """Customer messages per weekday × hour of the workspace's time zone."""
    cells = [[0] * 24 for _ in range(7)]
    for (weekday, hour), n in week_hours(session, workspace_id, filters).items():
        cells[weekday][hour] += n
    return Heatmap(cells)


def _pair_hours(filters: Filters) -> tuple[str, str, date, date, list[Filters]] | None:
    """The pairs' hourly weekly set that answers ``filters`` (two filters of a pair, whole weeks), if any: its
    name, value, weeks and the days around them."""
    pair = _pair(_active(filters))
    split = week_split(filters) if not FORCE_CUBES and pair is not None else None
    if pair is None or split is None:
        return None
    (x, v), (y, w) = pair
    return f"{x}+{y}>{HOURS}", f"{v}{PAIR_SEPARATOR}{w}", *split


def week_hours(session: Session, workspace_id: int, filters: Filters) -> dict[tuple[int, int], int]:
    """Customer messages per (weekday, local hour): under two filters of a pair, the pairs' hourly weekly set over
    the whole weeks and the hourly cube around them; else the hourly slices or cube."""
    cells: dict[tuple[int, int], int] = defaultdict(int)
    periods = [filters]
    pair = _pair_hours(filters)
    if pair is not None:
        name, value, first, last, periods = pair
        w = AnalyticsWeekly
        for hours, n in session.execute(
                select(w.grp, func.sum(w.n)).where(w.workspace_id == workspace_id, w.metric == measures.MSG_IN,
                                                   w.dim == name, w.value == value, w.week >= first,
                                                   w.week <= last).group_by(w.grp)):
            weekday, hour = str(hours).split(":")
            cells[(int(weekday), int(hour))] += int(n or 0)
    for period in periods:
        for day, hour, n, _t in grouped(session, workspace_id, period, (measures.MSG_IN,), ("day", "hour"),
                                        hourly=True):
            cells[(day.weekday(), int(hour))] += n
    return cells


# --- drill-down ----------------------------------------------------------------------------------------------------

#: measure -> (the column dating it, the order: "slowest" first or newest first)
_DRILL: dict[Measure, tuple[str, str | None]] = {
    Measure.MESSAGES: ("last_in_at", None),
    Measure.NEW_CASES: ("opened_at", None),
    Measure.UNANSWERED: ("unanswered_at", None),
    Measure.LATE: ("late_at", None),
    Measure.FIRST_RESPONSE: ("first_response_at", "first_response_s"),
    Measure.RESOLVED: ("resolved_at", "resolution_s"),
    Measure.BREACHED: ("breached_at", None),
    Measure.REOPENED: ("reopened_at", None),
    Measure.DISSATISFIED: ("dissatisfied_at", None),
    Measure.ESCALATED: ("escalated_at", None),
    Measure.ESCALATION_OVERDUE: ("escalation_overdue_at", None),
}
MAX_PER_PAGE = 200
#: a drill-down counts its cases up to this many (the figure itself gives the exact number); beyond, its total says
#: "more than" (``CasePage.capped``) and its pages stop there — as many as a CSV export holds
DRILL_COUNT_CAP = 10_000


def cases_behind(session: Session, workspace_id: int, filters: Filters, measure: Measure | str, *,
                 page: int = 1, per_page: int = 50) -> CasePage:
    """The cases behind a figure (drill-down), ``per_page`` at a time (``kit.errors.Invalid`` for an unknown
    measure or a page under 1). A case is listed when its fact of that kind lies in the period (the latest one
    where it has several: see ``docs/analytics.md``) and its own dimensions match the filters; the backlog
    measures list the active cases now, oldest activity first."""
    try:
        measure = Measure(measure)
    except ValueError:
        raise Invalid.of("Unknown figure: %(measure)s.", measure=str(measure)) from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid.of("Pages start at 1, with 1 to %(max)s cases a page.", max=MAX_PER_PAGE)
    if measure in (Measure.BACKLOG, Measure.UNASSIGNED):
        conditions = [*_case_filters(workspace_id, filters),
                      Case.status.in_([s.value for s in ACTIVE_STATUSES])]
        if measure == Measure.UNASSIGNED:
            conditions.append(Case.assignee_id.is_(None))
        total = _capped_total(session, select(Case.id).where(*conditions))
        ids = list(session.scalars(select(Case.id).where(*conditions)
                                   .order_by(Case.last_activity_at, Case.id)
                                   .offset((page - 1) * per_page).limit(per_page)))
        return CasePage([int(i) for i in ids], min(total, DRILL_COUNT_CAP), page, per_page,
                        capped=total > DRILL_COUNT_CAP)
    tz = zone(session, workspace_id)
    start, end = utc_range(filters, tz)
    column_name, slowest = _DRILL[measure]
    a = AnalyticsCase
    column = getattr(a, column_name)
    conditions = [a.workspace_id == workspace_id, column >= start, column < end]
    if measure == Measure.MESSAGES:
        conditions = [a.workspace_id == workspace_id, a.last_in_at >= start, a.first_in_at < end]
    for name in ("network", "channel_account_id", "team_id", "agent_id", "intent", "language", "sentiment",
                 "visibility"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(a, name) == value)
    total = _capped_total(session, select(a.case_id).where(*conditions))
    # newest first, or slowest first: each the order of an index walked backwards (models.analytics)
    order = [getattr(a, slowest).desc(), a.case_id.desc()] if slowest else [column.desc(), a.case_id.desc()]
    ids = list(session.scalars(select(a.case_id).where(*conditions).order_by(*order)
                               .offset((page - 1) * per_page).limit(per_page)))
    return CasePage([int(i) for i in ids], min(total, DRILL_COUNT_CAP), page, per_page,
                    capped=total > DRILL_COUNT_CAP)


def _capped_total(session: Session, rows: Any) -> int:
    """How many rows ``rows`` gives, counted up to ``DRILL_COUNT_CAP + 1`` (a year's resolved cases are 1.7 M
    index entries: counting them all took most of a second)."""
    found = rows.limit(DRILL_COUNT_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(found)) or 0)
