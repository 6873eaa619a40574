"""Survey results (supervisors and admins): CSAT, average rating and response rate per agent, team, network,
channel account or period, and the list of surveys with filters (``compris.surveys.results``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from compris.models import Survey, SurveyState
from compris.surveys import parsing
from compris.surveys import results as queries
from compris.surveys.schemas import ResultFiguresOut, ResultRowOut, ResultsOut, SurveyList, SurveyOut
from compris.web.api.common import ReportsApi, errors

router = APIRouter(prefix="/surveys", tags=["surveys"])

From = Annotated[date | None, Query(alias="from", description="First local day (YYYY-MM-DD, the workspace's time "
                                    "zone), included. Default: 29 days before `to` (or before today).")]
To = Annotated[date | None, Query(description="Last local day, included. Default: today (or 29 days after "
                                  "`from`).")]


def _figures(f: queries.Figures) -> dict[str, object]:
    return {"sent": f.sent, "answered": f.answered, "satisfied": f.satisfied, "response_rate": f.response_rate,
            "csat": f.csat, "average_rating": f.average, "average_score": f.average_score}


@router.get("/results", response_model=ResultsOut, summary="Survey results (CSAT, response rate)",
            responses=errors(403, 422))
def survey_results(
    ctx: ReportsApi,
    group_by: Annotated[Literal["agent", "team", "network", "account", "period"],
                        Query(description="One row per agent, team, network, channel account or period.")] = "agent",
    period: Annotated[Literal["day", "week", "month"],
                      Query(description="With `group_by=period`: days, ISO weeks (Monday) or months.")] = "week",
    from_: From = None,
    to: To = None,
) -> ResultsOut:
    """The surveys **sent** in the range (a survey counts in the period it was sent in, with its answer whenever
    it came): how many, how many answered (response rate), CSAT (the share of answers on the top two points of
    the scale) and the average rating. A figure without data is `null` (no division by zero). Days and periods
    are cut in the workspace's time zone; empty periods are listed too."""
    found = queries.results(ctx.session, ctx.user.workspace_id, group_by=group_by, period=period, start=from_,
                            end=to)
    return ResultsOut.model_validate({
        "group_by": found.group_by, "period": found.period, "from": found.start.isoformat(),
        "to": found.end.isoformat(), "timezone": found.timezone,
        "total": ResultFiguresOut.model_validate(_figures(found.total)),
        "rows": [ResultRowOut.model_validate({"key": r.key, "label": r.label, **_figures(r.figures)})
                 for r in found.rows],
    })


def survey_out(survey: Survey, number: int) -> SurveyOut:
    return SurveyOut(
        id=survey.id, case_number=number, cycle=survey.cycle, state=survey.state, skip_reason=survey.skip_reason,
        network=survey.network, channel_account_id=survey.channel_account_id, agent_id=survey.agent_id,
        team_id=survey.team_id, language=survey.language, scale=survey.scale, send_at=survey.send_at,
        sent_at=survey.sent_at, rating=survey.rating, score=survey.score,
        satisfied=parsing.satisfied(survey.rating, survey.scale) if survey.rating is not None else None,
        answered_at=survey.answered_at, answered_via=survey.answered_via, comment=survey.comment,
        commented_at=survey.commented_at,
    )


@router.get("", response_model=SurveyList, summary="List surveys", responses=errors(403, 422))
def list_surveys(
    ctx: ReportsApi,
    state: Annotated[Literal["scheduled", "sent", "answered", "skipped", "cancelled"] | None, Query()] = None,
    agent_id: Annotated[int | None, Query(description="See `GET /users`.")] = None,
    team_id: Annotated[int | None, Query()] = None,
    network: Annotated[str | None, Query(max_length=32, examples=["messenger"])] = None,
    channel_account_id: Annotated[int | None, Query(description="See `GET /channels`.")] = None,
    rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    satisfied: Annotated[bool | None, Query(description="Only satisfied (true) or unsatisfied (false) "
                                            "answers.")] = None,
    commented: Annotated[bool | None, Query(description="Only with (true) or without (false) a comment.")] = None,
    from_: Annotated[date | None, Query(alias="from", description="First local day (sent, else scheduled).")] = None,
    to: Annotated[date | None, Query(description="Last local day, included.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> SurveyList:
    """The workspace's surveys, newest first, with their answer and comment (the comment is the customer's text,
    untrusted: escape it when you show it)."""
    flt = queries.SurveyFilter(state=state and SurveyState(state), agent_id=agent_id, team_id=team_id,
                               network=network, channel_account_id=channel_account_id, rating=rating,
                               satisfied=satisfied, commented=commented, start=from_, end=to)
    rows, total = queries.surveys(ctx.session, ctx.user.workspace_id, flt, limit=limit, offset=offset)
    return SurveyList(total=total, items=[survey_out(s, n) for s, n in rows])
