"""The Reports page's model (issue 15, items 2 and 3): the filters read from a URL, the dashboard assembled from
the figures of :mod:`compris.analytics.queries` (each with its previous period), the objectives against their
actual, the drill-down's case rows and every table as rows for CSV. Used alike by the page
(``web/pages/analytics.py``), the CSV exports and the JSON API (``web/api/analytics.py``), so all three show the
same numbers. Reads only, always scoped to one workspace.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.analytics import queries
from compris.analytics.objectives import Assessment, assess, list_objectives
from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.models import Case, ChannelAccount, Contact, Objective, ObjectiveMetric, Team, User, Workspace
from compris.triage.labels import INTENTS, LANGUAGES, SENTIMENTS

# --- filters from a URL --------------------------------------------------------------------------------------------

PRESETS: tuple[str, ...] = ("today", "yesterday", "7d", "30d", "90d", "this_month", "last_month", "365d", "custom")
DEFAULT_PRESET = "30d"
#: the query parameters a report understands (anything else is ignored)
PARAMS: tuple[str, ...] = ("period", "from", "to", "network", "account", "team", "agent", "intent", "language",
                           "sentiment", "visibility", "clock")
#: the days a custom period may cover (its previous period and time zone arithmetic stay within Python's dates)
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
_NETWORK = re.compile(r"^[a-z0-9_-]{1,32}$")


def period_of(preset: str, today: date) -> tuple[date, date]:
    """The first and last day of a preset period, ``today`` being the workspace's local date."""
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset in ("7d", "30d", "90d", "365d"):
        return today - timedelta(days=int(preset[:-1]) - 1), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise Invalid.of("unknown period %(period)s", period=preset[:40])


@dataclass(frozen=True)
class Selection:
    """What a report covers: the :class:`~compris.analytics.queries.Filters` and the form's values (``values``:
    the parameters as given, cleaned, to rebuild the URL of a link or an export)."""

    filters: queries.Filters
    preset: str
    values: dict[str, str]

    def query(self, **overrides: str | None) -> str:
        """The URL query string of this selection (bookmarkable), with ``overrides``."""
        from urllib.parse import urlencode

        params = {**self.values, **{k: v for k, v in overrides.items()}}
        if params.get("period") != "custom":
            params.pop("from", None)
            params.pop("to", None)
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def local_today(session: Session, workspace_id: int) -> date:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    workspace = session.get(Workspace, workspace_id)
    try:
        tz = ZoneInfo(workspace.timezone if workspace is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return now().astimezone(tz).date()


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.of("%(field)s is not a date (YYYY-MM-DD)", field=name) from exc


def _id(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise Invalid.of("%(field)s is not a valid id", field=name)
    return int(value)


def parse(session: Session, workspace_id: int, params: Mapping[str, str], *, today: date | None = None) -> Selection:
    """Read a report's filters from untrusted query parameters: ``Invalid`` (422, with a clear message) for a bad
    date, an unknown period, intent, language or clock, or an account, team or agent not of this workspace."""
    raw = {key: str(params.get(key) or "").strip() for key in PARAMS}
    today = today or local_today(session, workspace_id)
    preset = raw["period"] or ("custom" if raw["from"] or raw["to"] else DEFAULT_PRESET)
    if preset not in PRESETS:
        raise Invalid.of("unknown period %(period)s", period=preset[:40])
    if preset == "custom":
        start = _day(raw["from"], "from") if raw["from"] else None
        end = _day(raw["to"], "to") if raw["to"] else None
        if start is None and end is None:
            raise Invalid("a custom period needs a first or a last day")
        if start is None:
            assert end is not None
            start = end - timedelta(days=29)
        elif end is None:
            end = max(start, min(today, start + timedelta(days=29)))
        if start < EARLIEST or end > LATEST:
            raise Invalid.of("dates are between %(first)s and %(last)s", first=EARLIEST.isoformat(),
                             last=LATEST.isoformat())
        if end < start:
            raise Invalid("the period ends before it starts")
        if (end - start).days + 1 > queries.MAX_DAYS:
            raise Invalid.of("a period covers at most %(days)s days", days=queries.MAX_DAYS)
        raw["from"], raw["to"] = start.isoformat(), end.isoformat()
    else:
        start, end = period_of(preset, today)
    raw["period"] = preset
    network = raw["network"] or None
    if network is not None and not _NETWORK.match(network):
        raise Invalid("unknown network")
    account_id = _id(raw["account"], "account") if raw["account"] else None
    if account_id is not None:
        account = session.get(ChannelAccount, account_id)
        if account is None or account.workspace_id != workspace_id:
            raise Invalid("unknown channel account")
    team_id = _id(raw["team"], "team") if raw["team"] else None
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.workspace_id != workspace_id:
            raise Invalid("unknown team")
    agent_id = _id(raw["agent"], "agent") if raw["agent"] else None
    if agent_id is not None:
        agent = session.get(User, agent_id)
        if agent is None or agent.workspace_id != workspace_id:
            raise Invalid("unknown agent")
    intent = raw["intent"] or None
    if intent is not None and intent not in INTENTS:
        raise Invalid.of("unknown intent %(intent)s", intent=intent[:40])
    language = raw["language"] or None
    if language is not None and language not in LANGUAGES:
        raise Invalid.of("unknown language %(language)s", language=language[:40])
    sentiment = raw["sentiment"] or None
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise Invalid.of("unknown sentiment %(sentiment)s", sentiment=sentiment[:40])
    visibility = raw["visibility"] or None
    if visibility is not None and visibility not in ("public", "private"):
        raise Invalid("visibility is public or private")
    clock = raw["clock"] or "calendar"
    if clock not in queries.CLOCKS:
        raise Invalid("clock is calendar or business")
    raw["clock"] = clock
    filters = queries.Filters(start=start, end=end, network=network, channel_account_id=account_id, team_id=team_id,
                              agent_id=agent_id, intent=intent, language=language, sentiment=sentiment,
                              visibility=visibility, clock=clock)  # type: ignore[arg-type]
    return Selection(filters, preset, {k: v for k, v in raw.items() if v})


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the workspace's networks, channel accounts, teams and agents."""

    networks: list[str]
    accounts: list[tuple[int, str]]
    teams: list[tuple[int, str]]
    agents: list[tuple[int, str]]


def choices(session: Session, workspace_id: int) -> Choices:
    accounts = list(session.scalars(select(ChannelAccount).where(ChannelAccount.workspace_id == workspace_id)
                                    .order_by(ChannelAccount.name, ChannelAccount.id)))
    teams = list(session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name, Team.id)))
    users = list(session.scalars(select(User).where(User.workspace_id == workspace_id).order_by(User.name, User.id)))
    return Choices(networks=sorted({a.network for a in accounts}), accounts=[(a.id, a.name) for a in accounts],
                   teams=[(t.id, t.name) for t in teams], agents=[(u.id, u.name) for u in users])


# --- the dashboard -------------------------------------------------------------------------------------------------

Kind = Literal["percent", "duration", "count"]


@dataclass(frozen=True)
class Tile:
    """One KPI: its value now and over the previous period (None: no data). ``better`` says which way is good
    (None: neither, a volume); ``measure`` the drill-down behind it."""

    key: str
    label: str
    kind: Kind
    value: float | None
    previous: float | None
    better: Literal["higher", "lower"] | None
    measure: str | None = None
    note: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> Literal["better", "worse", "same"] | None:
        """Whether the change is good news (``same`` within a hair)."""
        change = self.change
        if change is None or self.better is None:
            return None
        if abs(change) < 1e-9:
            return "same"
        return "better" if (change > 0) == (self.better == "higher") else "worse"


@dataclass(frozen=True)
class Dashboard:
    selection: Selection
    volume: queries.Volume
    volume_before: queries.Volume
    rate: queries.ResponseRate
    rate_before: queries.ResponseRate
    times: queries.ResponseTimes
    times_before: queries.ResponseTimes
    sla: queries.Sla
    sla_before: queries.Sla
    csat: queries.Csat
    csat_before: queries.Csat
    backlog: queries.Backlog
    agents: queries.Agents
    heatmap: queries.Heatmap
    expected_wait: queries.ExpectedWait
    guard: queries.Guard
    escalations: queries.Escalations
    objectives: list[Assessment] = field(default_factory=list)

    @property
    def tiles(self) -> list[Tile]:
        r, rb, t, tb = self.rate, self.rate_before, self.times, self.times_before
        hours = _target_text(r.target_s)
        return [
            Tile("messages", "Customer messages", "count", self.volume.messages, self.volume_before.messages, None,
                 "messages"),
            Tile("new_cases", "New cases", "count", self.volume.new_cases, self.volume_before.new_cases, None,
                 "new_cases"),
            Tile("response_rate", "Response rate", "percent", r.rate, rb.rate, "higher", "unanswered"),
            Tile("within_target", "Answered within %(target)s", "percent", r.within_target_rate,
                 rb.within_target_rate, "higher", "late", note=hours),
            Tile("first_response_median", "First response, median", "duration", t.first_response.median_s,
                 tb.first_response.median_s, "lower", "first_response"),
            Tile("first_response_p90", "First response, 90th percentile", "duration", t.first_response.p90_s,
                 tb.first_response.p90_s, "lower", "first_response"),
            Tile("resolution_median", "Resolution, median", "duration", t.resolution.median_s,
                 tb.resolution.median_s, "lower", "resolved"),
            Tile("sla_attainment", "SLA attainment", "percent", self.sla.attainment(), self.sla_before.attainment(),
                 "higher", "breached"),
            Tile("csat", "CSAT", "percent", self.csat.csat, self.csat_before.csat, "higher", "dissatisfied"),
        ]


def _target_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


class _Figures:
    """The queries of one request, each asked once per filters (the objectives reuse the dashboard's)."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session, self.workspace_id = session, workspace_id
        self._cache: dict[tuple[str, queries.Filters, Any], Any] = {}

    def get(self, name: str, filters: queries.Filters, **kw: Any) -> Any:
        key = (name, filters, tuple(sorted(kw.items())))
        if key not in self._cache:
            self._cache[key] = getattr(queries, name)(self.session, self.workspace_id, filters, **kw)
        return self._cache[key]


def dashboard(session: Session, workspace_id: int, selection: Selection) -> Dashboard:
    f = selection.filters
    before = f.previous()
    q = _Figures(session, workspace_id)
    with queries.shared_reads(session):  # with two filters or more, one read of the cube per period
        board = Dashboard(
            selection=selection,
            volume=q.get("volume", f), volume_before=q.get("volume", before),
            rate=q.get("response_rate", f), rate_before=q.get("response_rate", before),
            times=q.get("response_times", f), times_before=q.get("response_times", before),
            sla=q.get("sla", f), sla_before=q.get("sla", before),
            csat=q.get("csat", f), csat_before=q.get("csat", before),
            backlog=q.get("backlog", f), agents=q.get("agents", f), heatmap=q.get("heatmap", f),
            expected_wait=q.get("expected_wait", f), guard=q.get("guard", f), escalations=q.get("escalations", f),
        )
        return replace(board, objectives=assessments(session, workspace_id, f, figures=q))


def objective_filters(objective: Objective, filters: queries.Filters) -> queries.Filters:
    """The filters an objective is measured on: the report's, narrowed by the objective's intent and network, on
    the objective's clock."""
    return replace(filters, intent=objective.intent or filters.intent, network=objective.network or filters.network,
                   clock=objective.clock if objective.clock in queries.CLOCKS else filters.clock)


def actual(objective: Objective, filters: queries.Filters, figures: Callable[..., Any]) -> tuple[float | None, int]:
    """The actual figure of an objective over ``filters`` and how many it is measured over."""
    f = objective_filters(objective, filters)
    metric = objective.metric
    if metric in (ObjectiveMetric.FIRST_RESPONSE_WITHIN, ObjectiveMetric.FIRST_RESPONSE_MEDIAN,
                  ObjectiveMetric.FIRST_RESPONSE_P90, ObjectiveMetric.RESOLUTION_MEDIAN):
        times: queries.ResponseTimes = figures("response_times", f)
        if metric == ObjectiveMetric.FIRST_RESPONSE_WITHIN:
            first = times.first_response
            return first.share_within(objective.threshold_seconds or queries.DEFAULT_TARGET_S), first.count
        if metric == ObjectiveMetric.RESOLUTION_MEDIAN:
            return times.resolution.median_s, times.resolution.count
        value = times.first_response.median_s if metric == ObjectiveMetric.FIRST_RESPONSE_MEDIAN \
            else times.first_response.p90_s
        return value, times.first_response.count
    if metric in (ObjectiveMetric.RESPONSE_RATE, ObjectiveMetric.ANSWERED_WITHIN):
        target = objective.threshold_seconds or queries.DEFAULT_TARGET_S
        rate: queries.ResponseRate = figures("response_rate", f, target_s=target) \
            if target != queries.DEFAULT_TARGET_S else figures("response_rate", f)
        value = rate.rate if metric == ObjectiveMetric.RESPONSE_RATE else rate.within_target_rate
        return value, rate.needing
    if metric == ObjectiveMetric.SLA_ATTAINMENT:
        sla: queries.Sla = figures("sla", f)
        return sla.attainment(), sum(r.met + r.breached for r in sla.rows)
    if metric == ObjectiveMetric.CSAT:
        found: queries.Csat = figures("csat", f)
        return found.csat, found.answered
    return None, 0


def assessments(session: Session, workspace_id: int, filters: queries.Filters, *,
                figures: _Figures | None = None) -> list[Assessment]:
    q = figures or _Figures(session, workspace_id)
    out = []
    for objective in list_objectives(session, workspace_id):
        value, measured = actual(objective, filters, q.get)
        out.append(assess(objective, value, measured))
    return out


# --- drill-down ----------------------------------------------------------------------------------------------------

MEASURES: tuple[str, ...] = tuple(m.value for m in queries.Measure)


@dataclass(frozen=True)
class CaseRow:
    number: int
    subject: str
    contact: str
    status: str
    network: str | None
    opened_at: datetime
    first_inbound_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Drill:
    measure: str
    page: queries.CasePage
    rows: list[CaseRow]


def drill(session: Session, workspace_id: int, filters: queries.Filters, measure: str, *, page: int = 1,
          per_page: int = 50) -> Drill:
    """The cases behind a figure, in the order the figures give them."""
    if measure not in MEASURES:
        raise Invalid.of("unknown measure %(measure)s", measure=measure[:40])
    if page < 1 or page > 100_000:
        raise Invalid("page is a number from 1")
    found = queries.cases_behind(session, workspace_id, filters, measure, page=page, per_page=per_page)
    return Drill(measure, found, case_rows(session, workspace_id, found.case_ids))


#: the most rows one CSV export of a drill-down holds
EXPORT_LIMIT = 10_000


def drill_all(session: Session, workspace_id: int, filters: queries.Filters, measure: str) -> Drill:
    """Every case behind a figure (up to :data:`EXPORT_LIMIT`), page by page, for a CSV export."""
    per_page = queries.MAX_PER_PAGE
    first = drill(session, workspace_id, filters, measure, per_page=per_page)
    rows = list(first.rows)
    page = 1
    while page < first.page.pages and len(rows) < EXPORT_LIMIT:
        page += 1
        rows.extend(drill(session, workspace_id, filters, measure, page=page, per_page=per_page).rows)
    return Drill(measure, first.page, rows[:EXPORT_LIMIT])


def case_rows(session: Session, workspace_id: int, case_ids: Sequence[int]) -> list[CaseRow]:
    if not case_ids:
        return []
    rows = session.execute(
        select(Case, Contact.display_name, ChannelAccount.network)
        .join(Contact, Contact.id == Case.contact_id)
        .outerjoin(ChannelAccount, ChannelAccount.id == Case.last_channel_account_id)
        .where(Case.workspace_id == workspace_id, Case.id.in_(list(case_ids)))
    ).all()
    by_id = {case.id: CaseRow(case.number, case.subject or case.preview, name or "", case.status, network,
                              case.created_at, case.first_inbound_at, case.first_response_at, case.resolved_at)
             for case, name, network in rows}
    return [by_id[i] for i in case_ids if i in by_id]


# --- tables and CSV ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """A table of raw values (numbers stay numbers: seconds, percentages) for CSV."""

    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _slices(items: Iterable[queries.Slice], before: Iterable[queries.Slice]) -> Table:
    prior = {s.key: s.value for s in before}
    return Table(("key", "label", "count", "previous_count"),
                 [(s.key, s.label, s.value, prior.get(s.key, 0)) for s in items])


BREAKDOWNS: tuple[str, ...] = ("network", "account", "visibility", "intent", "sentiment", "language", "topic", "hour",
                               "tag")
TABLES: tuple[str, ...] = ("agents", "teams", "sla", "trend", "heatmap", "objectives", "guard",
                           *(f"by_{b}" for b in BREAKDOWNS))


def _agent_rows(rows: Iterable[queries.AgentRow]) -> list[tuple[Any, ...]]:
    return [(r.id, r.name, r.replies, r.resolved, r.first_responses, _round(r.median_first_response_s),
             _round(r.handle_time_s), _round(r.online_s)) for r in rows]


AGENT_HEADERS = ("id", "name", "replies", "resolved", "first_responses", "median_first_response_s",
                 "handle_time_s", "online_s")


def _round(value: float | None) -> float | int | None:
    return None if value is None else round(value)


def table(board: Dashboard, name: str) -> Table:
    """One of the dashboard's tables by name (:data:`TABLES`); ``Invalid`` for another name."""
    if name == "agents":
        return Table(AGENT_HEADERS, _agent_rows(board.agents.agents))
    if name == "teams":
        return Table(AGENT_HEADERS, _agent_rows(board.agents.teams))
    if name == "sla":
        return Table(("metric", "policy_id", "policy", "met", "breached", "attainment_percent"),
                     [(r.metric, r.policy_id, r.policy_name, r.met, r.breached, r.attainment)
                      for r in board.sla.rows])
    if name.startswith("by_") and name[3:] in BREAKDOWNS:
        attr = name
        return _slices(getattr(board.volume, attr), getattr(board.volume_before, attr))
    if name == "trend":
        return trend_table(board)
    if name == "heatmap":
        return Table(("weekday", *(f"h{h:02d}" for h in range(24))),
                     [(d, *row) for d, row in enumerate(board.heatmap.cells)])
    if name == "objectives":
        return Table(("id", "name", "metric", "target", "threshold_s", "intent", "network", "clock", "actual",
                      "measured", "met"),
                     [(a.objective.id, a.objective.name, a.objective.metric, a.objective.target,
                       a.objective.threshold_seconds, a.objective.intent, a.objective.network, a.objective.clock,
                       a.actual, a.measured, a.met) for a in board.objectives])
    if name == "guard":
        return Table(("rule", "findings", "overridden"),
                     [(r.rule, r.findings, r.overridden) for r in board.guard.by_rule])
    raise Invalid.of("unknown table %(table)s", table=name[:40])


def trend_table(board: Dashboard) -> Table:
    """Per day (per hour up to two days, per week over 31 days; ``at`` is the point's first hour or day):
    messages, new cases, response rate, median first response and resolution, CSAT."""
    columns: dict[datetime, dict[str, Any]] = {}
    series = {"messages": board.volume.trend_messages, "new_cases": board.volume.trend_cases,
              "response_rate_percent": board.rate.trend,
              "median_first_response_s": board.times.trend_first_response,
              "median_resolution_s": board.times.trend_resolution, "csat_percent": board.csat.trend}
    for key, points in series.items():
        for p in points:
            columns.setdefault(p.at, {})[key] = p.value
    keys = tuple(series)
    return Table(("at", *keys), [(at.isoformat(), *(columns[at].get(k) for k in keys)) for at in sorted(columns)])


def drill_table(found: Drill) -> Table:
    return Table(("number", "subject", "contact", "status", "network", "opened_at", "first_inbound_at",
                  "first_response_at", "resolved_at"),
                 [(r.number, r.subject, r.contact, r.status, r.network, r.opened_at, r.first_inbound_at,
                   r.first_response_at, r.resolved_at) for r in found.rows])


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str | int | float:
    """A CSV cell, safe to open in a spreadsheet: text starting with ``= + - @`` (or a tab or carriage return) is
    prefixed with ``'`` so it is never read as a formula (CSV injection); numbers stay numbers; dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(found: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(found.headers)
    for row in found.rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()
