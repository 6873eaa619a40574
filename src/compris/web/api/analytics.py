"""Analytics (supervisors and admins; agents get 403): every figure of the Reports page as JSON, the cases behind a
figure, and the objectives. Every route takes the same filters as the page (``period`` or ``from``/``to``,
``network``, ``account``, ``team``, ``agent``, ``intent``, ``language``, ``sentiment``, ``visibility``, ``clock``);
a bad filter is a 422 naming it. Figures: :mod:`compris.analytics.queries` through
:mod:`compris.analytics.reports`, so the API, the page and the CSV exports agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal, TypeVar, get_args

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from compris.analytics import actions, objectives, queries, reports
from compris.analytics import schemas as out
from compris.analytics.schemas import (
    AgentsOut,
    BacklogOut,
    CaseRowOut,
    CasesOut,
    CsatOut,
    EscalationsOut,
    ExpectedWaitOut,
    GuardOut,
    GuardRuleOut,
    HeatmapOut,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivesOut,
    ResponseRateOut,
    ResponseTimesOut,
    SlaOut,
    SummaryOut,
    VolumeOut,
)
from compris.triage.labels import INTENTS
from compris.web.api.common import ManageDeskApi, ReportsApi, errors
from compris.web.deps import PageContext

router = APIRouter(prefix="/analytics", tags=["analytics"])
T = TypeVar("T")

Intent = Literal["complaint", "question", "request", "praise", "spam", "other"]  # triage.labels.INTENTS
assert set(get_args(Intent)) == set(INTENTS)


def selection(
    ctx: ReportsApi,
    period: Annotated[Literal["today", "yesterday", "7d", "30d", "90d", "this_month", "last_month", "365d",
                              "custom"] | None,
                      Query(description="A preset period in the workspace's time zone (default `30d`: the last 30 "
                                        "days, today included); `custom` with `from`/`to`.")] = None,
    from_: Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD), included; implies "
                                        "`period=custom`.")] = None,
    to: Annotated[date | None, Query(description="Last day, included (at most 400 days after `from`).")] = None,
    network: Annotated[str | None, Query(max_length=32, examples=["x"])] = None,
    account: Annotated[int | None, Query(description="A channel account id (`GET /channels`).")] = None,
    team: Annotated[int | None, Query(description="A team id (`GET /routing/teams`).")] = None,
    agent: Annotated[int | None, Query(description="A user id (`GET /users`).")] = None,
    intent: Annotated[Intent | None, Query()] = None,
    language: Annotated[str | None, Query(max_length=8, examples=["fr"])] = None,
    sentiment: Annotated[Literal["negative", "neutral", "positive"] | None, Query()] = None,
    visibility: Annotated[Literal["public", "private"] | None, Query()] = None,
    clock: Annotated[Literal["calendar", "business"],
                     Query(description="Durations in calendar (24/7) or business hours.")] = "calendar",
) -> reports.Selection:
    params = {"period": period or ("custom" if from_ or to else ""), "from": from_.isoformat() if from_ else "",
              "to": to.isoformat() if to else "", "network": network or "", "account": str(account or ""),
              "team": str(team or ""), "agent": str(agent or ""), "intent": intent or "", "language": language or "",
              "sentiment": sentiment or "", "visibility": visibility or "", "clock": clock}
    return reports.parse(ctx.session, ctx.user.workspace_id, params)


Selected = Annotated[reports.Selection, Depends(selection)]
ERRORS = errors(403, 422)


def _both(ctx: PageContext, fn: Callable[[Session, int, queries.Filters], T], sel: reports.Selection) -> tuple[T, T]:
    """A figure over the period and over the previous one."""
    ws = ctx.user.workspace_id
    return fn(ctx.session, ws, sel.filters), fn(ctx.session, ws, sel.filters.previous())


@router.get("/summary", response_model=SummaryOut, summary="Key figures against the previous period",
            responses=ERRORS)
def summary(ctx: ReportsApi, sel: Selected) -> SummaryOut:
    """The dashboard's tiles: customer messages, new cases, response rate, share answered within the target,
    first response (median, 90th percentile), resolution (median), SLA attainment and CSAT, each with its value
    over the previous period of the same length and whether the change is good news."""
    board = reports.dashboard(ctx.session, ctx.user.workspace_id, sel)
    return SummaryOut(period=out.period_out(sel.filters), tiles=[out.tile_out(t) for t in board.tiles])


@router.get("/volume", response_model=VolumeOut, summary="Volume in", responses=ERRORS)
def volume(ctx: ReportsApi, sel: Selected) -> VolumeOut:
    """Customer messages and new cases, by network, account, visibility, intent, sentiment, language, topic and
    hour of day, with their trend per day; for the period and the previous one."""
    now, before = _both(ctx, queries.volume, sel)
    return VolumeOut(period=out.period_out(sel.filters), current=out.volume_out(now),
                     previous=out.volume_out(before))


@router.get("/response-rate", response_model=ResponseRateOut, summary="Response rate", responses=ERRORS)
def response_rate(ctx: ReportsApi, sel: Selected,
                  target_s: Annotated[int, Query(ge=60, le=30 * 86400, description="The response target in "
                                                 "seconds (calendar time).")] = queries.DEFAULT_TARGET_S,
                  ) -> ResponseRateOut:
    """Of the customer messages needing a response (automatic acknowledgements and surveys are not responses),
    the share that got one, and the share within `target_s`."""
    ws = ctx.user.workspace_id
    now = queries.response_rate(ctx.session, ws, sel.filters, target_s=target_s)
    before = queries.response_rate(ctx.session, ws, sel.filters.previous(), target_s=target_s)
    return ResponseRateOut(period=out.period_out(sel.filters), current=out.rate_out(now),
                           previous=out.rate_out(before))


@router.get("/response-times", response_model=ResponseTimesOut, summary="Response and resolution times",
            responses=ERRORS)
def response_times(ctx: ReportsApi, sel: Selected) -> ResponseTimesOut:
    """First response, next response and resolution times on the chosen clock: count, median, 90th percentile,
    mean and the histogram (log-scale buckets, exact at the round targets)."""
    now, before = _both(ctx, queries.response_times, sel)
    return ResponseTimesOut(period=out.period_out(sel.filters), current=out.times_out(now),
                            previous=out.times_out(before))


@router.get("/sla", response_model=SlaOut, summary="SLA attainment", responses=ERRORS)
def sla(ctx: ReportsApi, sel: Selected) -> SlaOut:
    """Met and breached clocks per metric and policy, attainment, breaches per day."""
    now, before = _both(ctx, queries.sla, sel)
    return SlaOut(period=out.period_out(sel.filters), current=out.sla_out(now),
                  previous=out.sla_out(before))


@router.get("/csat", response_model=CsatOut, summary="Customer satisfaction", responses=ERRORS)
def csat(ctx: ReportsApi, sel: Selected) -> CsatOut:
    """Surveys sent in the period, answered, satisfied (the top two points): CSAT and survey response rate."""
    now, before = _both(ctx, queries.csat, sel)
    return CsatOut(period=out.period_out(sel.filters), current=out.csat_out(now),
                   previous=out.csat_out(before))


@router.get("/backlog", response_model=BacklogOut, summary="Backlog now", responses=ERRORS)
def backlog(ctx: ReportsApi, sel: Selected) -> BacklogOut:
    """Active cases now, by state and team, and the oldest customer message still owed a response (the period is
    ignored; the other filters apply)."""
    return out.backlog_out(queries.backlog(ctx.session, ctx.user.workspace_id, sel.filters))


@router.get("/agents", response_model=AgentsOut, summary="Per agent and per team", responses=ERRORS)
def agents(ctx: ReportsApi, sel: Selected) -> AgentsOut:
    """Replies, first responses, cases resolved, median first response, handle time and time online, per agent
    (credited to the agent who did it, after transfers) and per team."""
    found = queries.agents(ctx.session, ctx.user.workspace_id, sel.filters)
    return AgentsOut(period=out.period_out(sel.filters), agents=[out.agent_row_out(r) for r in found.agents],
                     teams=[out.agent_row_out(r) for r in found.teams])


@router.get("/expected-wait", response_model=ExpectedWaitOut, summary="Expected wait: announced vs actual",
            responses=ERRORS)
def expected_wait(ctx: ReportsApi, sel: Selected) -> ExpectedWaitOut:
    """The expected wait announced to customers (the automatic acknowledgement, the published wait) against the
    first response they actually got: how often it came no later than announced, and the mean error."""
    w = queries.expected_wait(ctx.session, ctx.user.workspace_id, sel.filters)
    return ExpectedWaitOut(period=out.period_out(sel.filters), announced=w.announced, answered=w.answered,
                           within_announced=w.within_announced, accuracy=w.accuracy,
                           mean_predicted_s=w.mean_predicted_s, mean_actual_s=w.mean_actual_s,
                           mean_abs_error_s=w.mean_abs_error_s)


@router.get("/guard", response_model=GuardOut, summary="Reply guard findings and overrides", responses=ERRORS)
def guard(ctx: ReportsApi, sel: Selected) -> GuardOut:
    """What the reply guard found in drafts, per rule, and how often an agent sent the reply anyway."""
    g = queries.guard(ctx.session, ctx.user.workspace_id, sel.filters)
    return GuardOut(period=out.period_out(sel.filters), findings=g.findings, overridden=g.overridden,
                    by_rule=[GuardRuleOut(rule=r.rule, findings=r.findings, overridden=r.overridden)
                             for r in g.by_rule])


@router.get("/escalations", response_model=EscalationsOut, summary="Escalations", responses=ERRORS)
def escalations(ctx: ReportsApi, sel: Selected) -> EscalationsOut:
    """Escalations to partners and internal teams created in the period: answered, overdue, still open now, and
    the partners' response times."""
    e = queries.escalations(ctx.session, ctx.user.workspace_id, sel.filters)
    return EscalationsOut(period=out.period_out(sel.filters), created=e.created, answered=e.answered,
                          overdue=e.overdue, open_now=e.open_now,
                          partner_response=out.distribution_out(e.partner_response))


@router.get("/heatmap", response_model=HeatmapOut, summary="Volume by weekday and hour", responses=ERRORS)
def heatmap(ctx: ReportsApi, sel: Selected) -> HeatmapOut:
    """Customer messages by weekday and hour of day in the workspace's time zone: when the team is needed."""
    h = queries.heatmap(ctx.session, ctx.user.workspace_id, sel.filters)
    return HeatmapOut(period=out.period_out(sel.filters), cells=h.cells)


Measure = Literal["messages", "new_cases", "unanswered", "late", "first_response", "resolved", "breached",
                  "reopened", "dissatisfied", "escalated", "escalation_overdue", "backlog", "unassigned"]
assert set(get_args(Measure)) == {m.value for m in queries.Measure}


@router.get("/cases", response_model=CasesOut, summary="The cases behind a figure", responses=ERRORS)
def cases(ctx: ReportsApi, sel: Selected,
          measure: Annotated[Measure, Query(description="What to list: `unanswered`, `late`, `first_response` "
                                                        "(slowest first), `resolved`, `breached`, "
                                                        "`dissatisfied`, `backlog`... (docs/analytics.md).")],
          page: Annotated[int, Query(ge=1, le=100_000)] = 1,
          per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50) -> CasesOut:
    """Drill-down: the cases a figure counts, one page at a time (case numbers: `GET /cases/{number}`)."""
    found = reports.drill(ctx.session, ctx.user.workspace_id, sel.filters, measure, page=page, per_page=per_page)
    return CasesOut(period=out.period_out(sel.filters), measure=measure, total=found.page.total,
                    total_capped=found.page.capped,
                    page=found.page.page, per_page=found.page.per_page, pages=found.page.pages,
                    items=[CaseRowOut(number=r.number, subject=r.subject, contact=r.contact, status=r.status,
                                      network=r.network, opened_at=r.opened_at, first_inbound_at=r.first_inbound_at,
                                      first_response_at=r.first_response_at, resolved_at=r.resolved_at)
                           for r in found.rows])


# --- objectives ----------------------------------------------------------------------------------------------------

ObjectiveId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND = "No such objective in your workspace."


@router.get("/objectives", response_model=ObjectivesOut, summary="Objectives against the actual",
            responses=ERRORS)
def list_objectives(ctx: ReportsApi, sel: Selected) -> ObjectivesOut:
    """The objectives the supervisors set, each with its actual figure over the period and filters asked for
    (narrowed by the objective's own intent and network, on its clock) and whether it is met."""
    found = reports.assessments(ctx.session, ctx.user.workspace_id, sel.filters)
    return ObjectivesOut(period=out.period_out(sel.filters), items=[out.objective_out(a) for a in found])


def _one(ctx: PageContext, objective_id: int) -> ObjectiveOut:
    row = objectives.get_objective(ctx.session, ctx.user.workspace_id, objective_id)
    return out.objective_out(objectives.assess(row, None, 0))


@router.post("/objectives", status_code=201, response_model=ObjectiveOut, summary="Set an objective",
             responses=errors(403, 422))
def create_objective(body: ObjectiveIn, ctx: ManageDeskApi) -> ObjectiveOut:
    """Audited (`settings_changed`). The answer has no actual: read it with `GET /analytics/objectives`."""
    row = actions.create_objective(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                      values=body.model_dump())
    return _one(ctx, row.id)


@router.put("/objectives/{objective_id}", response_model=ObjectiveOut, summary="Change an objective",
            responses=errors(403, 404, 422, not_found=NOT_FOUND))
def update_objective(objective_id: ObjectiveId, body: ObjectiveIn, ctx: ManageDeskApi) -> ObjectiveOut:
    """Replace every field (the ones left out take their default)."""
    actions.update_objective(ctx.session, ctx.runtime.publisher, actor=ctx.user, objective_id=objective_id,
                                values=body.model_dump())
    return _one(ctx, objective_id)


@router.delete("/objectives/{objective_id}", status_code=204, summary="Delete an objective",
               responses=errors(403, 404, 422, not_found=NOT_FOUND))
def delete_objective(objective_id: ObjectiveId, ctx: ManageDeskApi) -> Response:
    """Audited (`settings_changed`)."""
    actions.delete_objective(ctx.session, ctx.runtime.publisher, actor=ctx.user, objective_id=objective_id)
    return Response(status_code=204)
