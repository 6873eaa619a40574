"""The supervisors' survey results page (``/supervisor/surveys``): CSAT, average rating and response rate per
agent, team, network, channel account or period over a range of days, a bar chart drawn in CSS, and the latest
comments (``compris.surveys.results``)."""

from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.kit.errors import Invalid
from compris.surveys import results as queries
from compris.web import i18n
from compris.web.deps import ReportsPage
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)

GROUP_LABELS = {"agent": "Agent", "team": "Team", "network": "Network", "account": "Channel account",
                "period": "Period"}
PERIOD_LABELS = {"day": "Day", "week": "Week", "month": "Month"}


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("dates are YYYY-MM-DD") from exc


def _percent(value: float, lang: str) -> str:
    """``33.3%`` in English, ``33,3 %`` in French (a narrow no-break space)."""
    return format_decimal(value, "#,##0.#", locale=lang) + ("\u202f%" if lang == "fr" else "%")


@router.get("/supervisor/surveys")
def results_page(request: Request, ctx: ReportsPage, group_by: str = "agent", period: str = "week",
                 to: str | None = None) -> Response:
    start, end = _day(request.query_params.get("from")), _day(to)
    if group_by not in queries.GROUPS:
        group_by = "agent"
    if period not in queries.PERIODS:
        period = "week"
    found = queries.results(ctx.session, ctx.user.workspace_id, group_by=group_by, period=period, start=start,
                            end=end)
    lang = i18n.normalise(ctx.user.language)
    notes = queries.comments(ctx.session, ctx.user.workspace_id, found.start, found.end)
    return render(request, ctx, "supervisor_surveys.html", found=found, comments=notes,
                  group_labels=GROUP_LABELS, period_labels=PERIOD_LABELS,
                  pct=lambda v: "—" if v is None else _percent(v, lang),
                  num=lambda v: "—" if v is None else format_decimal(v, "#,##0.00", locale=lang))
