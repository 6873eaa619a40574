"""The figures contract: the filters every figure takes and the plain dataclasses the queries return (read by the
dashboard, the CSV exports and the JSON API). Pure: no database here. Definitions: ``docs/analytics.md``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from compris.analytics.buckets import HistogramBin
from compris.kit.errors import Invalid

Clock = Literal["calendar", "business"]
CLOCKS: tuple[Clock, ...] = ("calendar", "business")
#: the longest period one figure covers (a bit over a year)
MAX_DAYS = 400
#: the response target of the response rate when none is given (seconds)
DEFAULT_TARGET_S = 3600


@dataclass(frozen=True)
class Filters:
    """What a figure covers: the days ``start``..``end`` (both included, dates in the workspace's time zone) and
    optional filters (None: any). ``clock``: durations in calendar time (24/7) or in business time (the calendar
    of the case's SLA policy; a case without one counts calendar time)."""

    start: date
    end: date
    network: str | None = None
    channel_account_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None
    intent: str | None = None
    language: str | None = None
    sentiment: str | None = None
    visibility: str | None = None  # public | private
    clock: Clock = "calendar"

    def __post_init__(self) -> None:
        """Bad input is :class:`compris.kit.errors.Invalid` (a clear 4xx at the edge, in the user's language)."""
        if self.end < self.start:
            raise Invalid.of("The period ends before it starts.")
        if self.days > MAX_DAYS:
            raise Invalid.of("A period covers at most %(days)s days.", days=MAX_DAYS)
        if self.clock not in CLOCKS:
            raise Invalid.of("The clock is calendar or business.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the period of the same length just before (for the comparison)."""
        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.end - length)

    def with_period(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)


@dataclass(frozen=True)
class Slice:
    """One bar of a breakdown: ``key`` is the value (a network, an account or team id as text, an intent, an hour
    ``"0"``..``"23"``; ``""``: none/unknown), ``label`` what to show (an account's or team's name, else the key)."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Point:
    """One point of a trend: the start of its day or hour (aware, in the workspace's time zone)."""

    at: datetime
    value: float | None


@dataclass(frozen=True)
class Volume:
    messages: int  # customer messages received
    new_cases: int
    by_network: list[Slice] = field(default_factory=list)
    by_account: list[Slice] = field(default_factory=list)
    by_visibility: list[Slice] = field(default_factory=list)
    by_intent: list[Slice] = field(default_factory=list)
    by_sentiment: list[Slice] = field(default_factory=list)
    by_language: list[Slice] = field(default_factory=list)
    by_topic: list[Slice] = field(default_factory=list)
    by_hour: list[Slice] = field(default_factory=list)  # hour of day 0..23, workspace time
    #: new cases of the period carrying each free tag (tags are on cases: read from ``case_tags``, not the rollups)
    by_tag: list[Slice] = field(default_factory=list)
    trend_messages: list[Point] = field(default_factory=list)  # per day (hour: 2 days or less; week: over 31)
    trend_cases: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class ResponseRate:
    """Of the customer messages needing a response received in the period, how many got one (a sent reply, at any
    time since), and how many within ``target_s`` (calendar time)."""

    needing: int
    responded: int
    within_target: int
    target_s: int
    trend: list[Point] = field(default_factory=list)  # response rate (%) per day

    @property
    def rate(self) -> float | None:
        return round(self.responded * 100 / self.needing, 1) if self.needing else None

    @property
    def within_target_rate(self) -> float | None:
        return round(self.within_target * 100 / self.needing, 1) if self.needing else None


@dataclass(frozen=True)
class Distribution:
    """Durations (seconds): how many, median, 90th percentile and mean, and the histogram for a distribution chart.
    Percentiles are read from the stored buckets (at most 19 % off, ``buckets.py``); ``count`` and ``mean_s`` are
    exact."""

    count: int
    median_s: float | None
    p90_s: float | None
    mean_s: float | None
    histogram: list[HistogramBin] = field(default_factory=list)

    def share_within(self, target_s: float) -> float | None:
        """Percent of the durations at or under ``target_s`` (exact for the round targets of ``buckets.py``)."""
        from compris.analytics.buckets import share_within

        counts = {i: b.count for i, b in enumerate(self.histogram)}
        within, total = share_within(counts, target_s)
        return round(within * 100 / total, 1) if total else None


@dataclass(frozen=True)
class ResponseTimes:
    clock: Clock
    first_response: Distribution
    next_response: Distribution
    resolution: Distribution
    trend_first_response: list[Point] = field(default_factory=list)  # median per day
    trend_resolution: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class SlaRow:
    metric: str  # first_response | next_response | resolution
    policy_id: int | None
    policy_name: str
    met: int
    breached: int

    @property
    def attainment(self) -> float | None:
        total = self.met + self.breached
        return round(self.met * 100 / total, 1) if total else None


@dataclass(frozen=True)
class Sla:
    rows: list[SlaRow]
    breaches: int
    trend_breaches: list[Point] = field(default_factory=list)

    def attainment(self, metric: str | None = None) -> float | None:
        rows = [r for r in self.rows if metric is None or r.metric == metric]
        met, breached = sum(r.met for r in rows), sum(r.breached for r in rows)
        return round(met * 100 / (met + breached), 1) if met + breached else None


@dataclass(frozen=True)
class Csat:
    """Surveys counted in the period they were sent (as ``surveys.results``)."""

    sent: int
    answered: int
    satisfied: int
    score_sum: int
    trend: list[Point] = field(default_factory=list)  # CSAT % per day

    @property
    def response_rate(self) -> float | None:
        return round(self.answered * 100 / self.sent, 1) if self.sent else None

    @property
    def csat(self) -> float | None:
        return round(self.satisfied * 100 / self.answered, 1) if self.answered else None

    @property
    def average_score(self) -> float | None:
        return round(self.score_sum / self.answered, 1) if self.answered else None


@dataclass(frozen=True)
class Backlog:
    """Now (live from the cases table; the period is ignored, the other filters apply)."""

    open: int  # every active case: new, open, waiting, snoozed
    new: int
    unassigned: int
    waiting_customer: int
    waiting_partner: int
    snoozed: int
    oldest_waiting_since: datetime | None  # the oldest customer message still owed a response
    oldest_case_id: int | None
    by_team: list[Slice] = field(default_factory=list)


@dataclass(frozen=True)
class AgentRow:
    """One agent (``agent_id``) or team (``team_id``): ``handle_time_s`` is the time cases spent assigned to them
    while active (new or open); ``online_s`` the time they were online."""

    id: int | None
    name: str
    replies: int
    resolved: int
    first_responses: int
    handle_time_s: float
    online_s: float
    median_first_response_s: float | None


@dataclass(frozen=True)
class Agents:
    agents: list[AgentRow]
    teams: list[AgentRow]


@dataclass(frozen=True)
class ExpectedWait:
    """The expected wait announced to customers against the first response they actually got."""

    announced: int
    answered: int
    mean_predicted_s: float | None
    mean_actual_s: float | None
    mean_abs_error_s: float | None
    within_announced: int  # answered no later than announced

    @property
    def accuracy(self) -> float | None:
        return round(self.within_announced * 100 / self.answered, 1) if self.answered else None


@dataclass(frozen=True)
class GuardRule:
    rule: str
    findings: int
    overridden: int


@dataclass(frozen=True)
class Guard:
    findings: int
    overridden: int
    by_rule: list[GuardRule] = field(default_factory=list)


@dataclass(frozen=True)
class Escalations:
    created: int
    answered: int
    overdue: int
    open_now: int
    partner_response: Distribution


@dataclass(frozen=True)
class Heatmap:
    """Customer messages per weekday (0 = Monday) × hour (0..23) of the workspace's time zone."""

    cells: list[list[int]]

    @property
    def max(self) -> int:
        return max((max(row) for row in self.cells), default=0)


class Measure(StrEnum):
    """What a drill-down lists the cases of."""

    MESSAGES = "messages"  # cases with customer messages in the period
    NEW_CASES = "new_cases"
    UNANSWERED = "unanswered"  # a customer message of the period still without a response
    LATE = "late"  # a customer message of the period answered after the target (or not at all)
    FIRST_RESPONSE = "first_response"  # cases first answered in the period (slowest first)
    RESOLVED = "resolved"  # resolved in the period (slowest first)
    BREACHED = "breached"  # an SLA breach in the period
    REOPENED = "reopened"
    DISSATISFIED = "dissatisfied"  # a survey sent in the period answered below the top two points
    ESCALATED = "escalated"
    ESCALATION_OVERDUE = "escalation_overdue"
    BACKLOG = "backlog"  # active now (the period is ignored)
    UNASSIGNED = "unassigned"  # active and unassigned now


@dataclass(frozen=True)
class CasePage:
    """The cases behind a figure, one page: ids in the order shown, and the total (``capped``: there are more than
    ``total``, the most a drill-down counts and pages through)."""

    case_ids: list[int]
    total: int
    page: int
    per_page: int
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
