"""API shapes of analytics (``/api/v1/analytics/...``): every figure of the Reports page, the cases behind a
figure, and the objectives. Shares are percentages (``93.4``), durations seconds, ``null`` where there is nothing
to measure (no division by zero). Definitions: ``docs/analytics.md``.

The ``*_out`` functions turn the engine's dataclasses (:mod:`compris.analytics.figures`) into these shapes, so the
endpoints stay thin."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from compris.analytics import figures as f
from compris.analytics.objectives import Assessment
from compris.analytics.reports import Tile
from compris.kit.schemas import Schema, Timestamp

Share = float | None
Seconds = float | None


class PeriodOut(Schema):
    start: date = Field(description="First day (the workspace's time zone), included.", examples=["2026-11-07"])
    end: date = Field(description="Last day, included.", examples=["2026-12-06"])
    days: int = Field(examples=[30])
    clock: Literal["calendar", "business"] = Field(description="Durations in calendar (24/7) or business hours.",
                                                   examples=["calendar"])
    previous_start: date = Field(description="The previous period of the same length, for comparisons.",
                                 examples=["2026-10-08"])
    previous_end: date = Field(examples=["2026-11-06"])


class SliceOut(Schema):
    key: str = Field(description="The value (a network, an account or team id as text, an intent, an hour "
                                 "`0`..`23`); empty: none or unknown.", examples=["complaint"])
    label: str = Field(description="What to show (an account's or a team's name, else the key).",
                       examples=["complaint"])
    value: int = Field(examples=[42])


class PointOut(Schema):
    at: Timestamp = Field(description="Start of the day (or hour, for periods of 2 days or less).")
    value: float | None = Field(examples=[12.0])


class VolumeFigures(Schema):
    messages: int = Field(description="Customer messages received.", examples=[1200])
    new_cases: int = Field(examples=[410])
    by_network: list[SliceOut]
    by_account: list[SliceOut]
    by_visibility: list[SliceOut]
    by_intent: list[SliceOut]
    by_sentiment: list[SliceOut]
    by_language: list[SliceOut]
    by_topic: list[SliceOut]
    by_hour: list[SliceOut]
    by_tag: list[SliceOut] = Field(description="New cases of the period carrying each tag (a case counts under each "
                                               "of its tags).")
    trend_messages: list[PointOut]
    trend_cases: list[PointOut]


class VolumeOut(Schema):
    period: PeriodOut
    current: VolumeFigures
    previous: VolumeFigures


class ResponseRateFigures(Schema):
    needing: int = Field(description="Customer messages needing a response.", examples=[1000])
    responded: int = Field(examples=[930])
    within_target: int = Field(examples=[810])
    target_s: int = Field(examples=[3600])
    rate: Share = Field(description="responded / needing, in percent.", examples=[93.0])
    within_target_rate: Share = Field(description="within_target / needing, in percent.", examples=[81.0])
    trend: list[PointOut] = Field(description="Response rate (%) per day (per hour up to 2 days, per week over 31).")


class ResponseRateOut(Schema):
    period: PeriodOut
    current: ResponseRateFigures
    previous: ResponseRateFigures


class BinOut(Schema):
    lo_s: float = Field(description="Durations above this (seconds)…", examples=[1800])
    hi_s: float | None = Field(description="…and at or under this; null: and longer.", examples=[3600])
    count: int = Field(examples=[17])


class DistributionOut(Schema):
    count: int = Field(examples=[250])
    median_s: Seconds = Field(description="From the stored histogram: at most 19 % off.", examples=[1260.0])
    p90_s: Seconds = Field(examples=[7400.0])
    mean_s: Seconds = Field(description="Exact.", examples=[2900.0])
    histogram: list[BinOut]


class ResponseTimesFigures(Schema):
    clock: Literal["calendar", "business"]
    first_response: DistributionOut
    next_response: DistributionOut
    resolution: DistributionOut
    trend_first_response: list[PointOut] = Field(
        description="Median first response per day (per hour up to 2 days, per week over 31), in seconds.")
    trend_resolution: list[PointOut]


class ResponseTimesOut(Schema):
    period: PeriodOut
    current: ResponseTimesFigures
    previous: ResponseTimesFigures


class SlaRowOut(Schema):
    metric: str = Field(examples=["first_response"])
    policy_id: int | None
    policy_name: str = Field(examples=["Standard"])
    met: int
    breached: int
    attainment: Share = Field(examples=[92.5])


class SlaFigures(Schema):
    rows: list[SlaRowOut]
    breaches: int
    attainment: Share = Field(description="Met / (met + breached) over every metric and policy, in percent.",
                              examples=[91.0])
    trend_breaches: list[PointOut]


class SlaOut(Schema):
    period: PeriodOut
    current: SlaFigures
    previous: SlaFigures


class CsatFigures(Schema):
    sent: int
    answered: int
    satisfied: int
    csat: Share = Field(description="Satisfied / answered, in percent.", examples=[84.0])
    response_rate: Share = Field(description="Answered / sent, in percent.", examples=[31.0])
    average_score: float | None = Field(examples=[78.5])
    trend: list[PointOut]


class CsatOut(Schema):
    period: PeriodOut
    current: CsatFigures
    previous: CsatFigures


class BacklogOut(Schema):
    """Now (the period is ignored; the other filters apply)."""

    open: int = Field(description="Every active case: new, open, waiting, snoozed.", examples=[37])
    new: int
    unassigned: int
    waiting_customer: int
    waiting_partner: int
    snoozed: int
    oldest_waiting_since: Timestamp | None = Field(description="The oldest customer message still owed a response.")
    by_team: list[SliceOut]


class AgentRowOut(Schema):
    id: int | None
    name: str
    replies: int
    resolved: int
    first_responses: int
    handle_time_s: float
    online_s: float
    median_first_response_s: Seconds


class AgentsOut(Schema):
    period: PeriodOut
    agents: list[AgentRowOut]
    teams: list[AgentRowOut]


class ExpectedWaitOut(Schema):
    period: PeriodOut
    announced: int
    answered: int
    within_announced: int
    accuracy: Share = Field(description="Answered no later than announced, in percent.", examples=[88.0])
    mean_predicted_s: Seconds
    mean_actual_s: Seconds
    mean_abs_error_s: Seconds


class GuardRuleOut(Schema):
    rule: str = Field(examples=["office_hours"])
    findings: int
    overridden: int


class GuardOut(Schema):
    period: PeriodOut
    findings: int
    overridden: int = Field(description="Findings the agent sent anyway.")
    by_rule: list[GuardRuleOut]


class EscalationsOut(Schema):
    period: PeriodOut
    created: int
    answered: int
    overdue: int
    open_now: int
    partner_response: DistributionOut


class HeatmapOut(Schema):
    period: PeriodOut
    cells: list[list[int]] = Field(description="Customer messages per weekday (0 = Monday) × hour (0..23), in the "
                                               "workspace's time zone.")


class TileOut(Schema):
    key: str = Field(examples=["response_rate"])
    kind: Literal["percent", "duration", "count"]
    value: float | None
    previous: float | None
    change: float | None = Field(description="value − previous (percentage points for shares, seconds for "
                                             "durations).")
    better: Literal["higher", "lower"] | None = Field(description="Which way is good news (null: a volume).")
    trend: Literal["better", "worse", "same"] | None
    measure: str | None = Field(description="The drill-down behind it (`GET /analytics/cases?measure=`).")


class SummaryOut(Schema):
    period: PeriodOut
    tiles: list[TileOut]


class CaseRowOut(Schema):
    number: int
    subject: str = Field(description="Customer text: escape it when you show it.")
    contact: str
    status: str
    network: str | None
    opened_at: Timestamp
    first_inbound_at: Timestamp | None
    first_response_at: Timestamp | None
    resolved_at: Timestamp | None


class CasesOut(Schema):
    period: PeriodOut
    measure: str
    total: int = Field(description="The cases behind the figure, counted up to 10,000 (see `total_capped`).")
    total_capped: bool = Field(
        default=False, description="True when there are more than `total` (10,000): the pages stop there; the "
                                   "figure itself gives the exact number, and narrower filters list them all.")
    page: int
    per_page: int
    pages: int
    items: list[CaseRowOut]


MetricName = Literal["first_response_within", "response_rate", "answered_within", "sla_attainment", "csat",
                     "first_response_median", "first_response_p90", "resolution_median"]


class ObjectiveIn(Schema):
    name: str = Field(default="", max_length=120, examples=["Complaints answered within the hour"])
    metric: MetricName = Field(description="Shares (`*_within`, `response_rate`, `sla_attainment`, `csat`): "
                                           "higher is better, target in percent. Times (`*_median`, `*_p90`): "
                                           "lower is better, target in seconds.", examples=["first_response_within"])
    target: float = Field(description="Percent for a share (`90`), seconds for a time.", examples=[90])
    threshold_seconds: int | None = Field(default=None, description="The time limit of `first_response_within` "
                                          "(required) and `answered_within` (default 3600).", examples=[3600])
    intent: str | None = Field(default=None, description="Only cases of this intent.", examples=["complaint"])
    network: str | None = Field(default=None, description="Only this network.", examples=[None])
    clock: Literal["business", "calendar"] = Field(default="business")
    position: int = Field(default=0, ge=0, le=1000, description="Order on the page.")


class ObjectiveOut(Schema):
    id: int
    name: str
    metric: str
    target: float
    threshold_seconds: int | None
    intent: str | None
    network: str | None
    clock: str
    position: int
    actual: float | None = Field(description="Over the period asked for (null: no data, or not computed).")
    measured: int = Field(description="How many cases, messages or answers the actual is measured over.")
    met: bool | None


class ObjectivesOut(Schema):
    period: PeriodOut
    items: list[ObjectiveOut]


# --- from the engine's dataclasses ---------------------------------------------------------------------------------

def period_out(filters: f.Filters) -> PeriodOut:
    before = filters.previous()
    return PeriodOut(start=filters.start, end=filters.end, days=filters.days, clock=filters.clock,
                     previous_start=before.start, previous_end=before.end)


def _slices(items: list[f.Slice]) -> list[SliceOut]:
    return [SliceOut(key=s.key, label=s.label, value=s.value) for s in items]


def _points(items: list[f.Point]) -> list[PointOut]:
    return [PointOut(at=p.at, value=p.value) for p in items]


def volume_out(v: f.Volume) -> VolumeFigures:
    return VolumeFigures(
        messages=v.messages, new_cases=v.new_cases, by_network=_slices(v.by_network),
        by_account=_slices(v.by_account), by_visibility=_slices(v.by_visibility), by_intent=_slices(v.by_intent),
        by_sentiment=_slices(v.by_sentiment), by_language=_slices(v.by_language), by_topic=_slices(v.by_topic),
        by_hour=_slices(v.by_hour), by_tag=_slices(v.by_tag), trend_messages=_points(v.trend_messages),
        trend_cases=_points(v.trend_cases))


def rate_out(r: f.ResponseRate) -> ResponseRateFigures:
    return ResponseRateFigures(needing=r.needing, responded=r.responded, within_target=r.within_target,
                               target_s=r.target_s, rate=r.rate, within_target_rate=r.within_target_rate,
                               trend=_points(r.trend))


def distribution_out(d: f.Distribution) -> DistributionOut:
    return DistributionOut(count=d.count, median_s=d.median_s, p90_s=d.p90_s, mean_s=d.mean_s,
                           histogram=[BinOut(lo_s=b.lo_s, hi_s=b.hi_s, count=b.count) for b in d.histogram])


def times_out(t: f.ResponseTimes) -> ResponseTimesFigures:
    return ResponseTimesFigures(clock=t.clock, first_response=distribution_out(t.first_response),
                                next_response=distribution_out(t.next_response),
                                resolution=distribution_out(t.resolution),
                                trend_first_response=_points(t.trend_first_response),
                                trend_resolution=_points(t.trend_resolution))


def sla_out(s: f.Sla) -> SlaFigures:
    return SlaFigures(rows=[SlaRowOut(metric=r.metric, policy_id=r.policy_id, policy_name=r.policy_name, met=r.met,
                                      breached=r.breached, attainment=r.attainment) for r in s.rows],
                      breaches=s.breaches, attainment=s.attainment(), trend_breaches=_points(s.trend_breaches))


def csat_out(c: f.Csat) -> CsatFigures:
    return CsatFigures(sent=c.sent, answered=c.answered, satisfied=c.satisfied, csat=c.csat,
                       response_rate=c.response_rate, average_score=c.average_score, trend=_points(c.trend))


def backlog_out(b: f.Backlog) -> BacklogOut:
    return BacklogOut(open=b.open, new=b.new, unassigned=b.unassigned, waiting_customer=b.waiting_customer,
                      waiting_partner=b.waiting_partner, snoozed=b.snoozed,
                      oldest_waiting_since=b.oldest_waiting_since, by_team=_slices(b.by_team))


def agent_row_out(r: f.AgentRow) -> AgentRowOut:
    return AgentRowOut(id=r.id, name=r.name, replies=r.replies, resolved=r.resolved,
                       first_responses=r.first_responses, handle_time_s=r.handle_time_s, online_s=r.online_s,
                       median_first_response_s=r.median_first_response_s)


def objective_out(a: Assessment) -> ObjectiveOut:
    o = a.objective
    return ObjectiveOut(id=o.id, name=o.name, metric=o.metric, target=o.target, threshold_seconds=o.threshold_seconds,
                        intent=o.intent, network=o.network, clock=o.clock, position=o.position, actual=a.actual,
                        measured=a.measured, met=a.met)


def tile_out(tile: Tile) -> TileOut:
    return TileOut(key=tile.key, kind=tile.kind, value=tile.value, previous=tile.previous, change=tile.change,
                   better=tile.better, trend=tile.trend, measure=tile.measure)
