"""``/listening/alerts``: the supervisors' alerts (volume spikes, high-reach complaints), acknowledge, open an
incident from one; ``/listening/settings``: the workspace's thresholds; ``/listening/cases/{number}/alerts``: the
case page's alert panel (loaded by ``_case_alerts.html``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.inbox.queries import get_case
from compris.kit.errors import ComprisError, Invalid
from compris.listening import alert_queries, alerts
from compris.listening.alerts import SENSITIVITIES
from compris.models import SpikeSensitivity
from compris.web.deps import PageContext, ReadCasesPage, SupervisePage
from compris.web.pages.render import domain_action, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/listening")
def listening_home(ctx: SupervisePage) -> Response:
    return redirect("/listening/alerts")


@router.get("/listening/alerts")
def alerts_page(request: Request, ctx: SupervisePage, state: str = "open", kind: str = "",
                before: int | None = None) -> Response:
    state = state if state in alert_queries.STATES else "open"
    kind = kind if kind in alert_queries.KINDS else ""
    ws = ctx.user.workspace_id
    rows = alert_queries.alerts(ctx.session, ws, state=state, kind=kind or None, limit=PAGE_SIZE + 1,
                                before_id=before)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    template = "listening_alerts_list.html" if is_htmx(request) else "listening_alerts.html"
    return render(request, ctx, template, alerts=rows, samples=alert_queries.samples(ctx.session, ws, rows),
                  state=state, kind=kind, more=more, next_before=rows[-1].id if rows and more else None,
                  open_count=alert_queries.open_count(ctx.session, ws), states=alert_queries.STATES,
                  kinds=alert_queries.KINDS)


@router.post("/listening/alerts/{alert_id}/acknowledge")
def acknowledge(ctx: SupervisePage, alert_id: int, back: Annotated[str, Form()] = "") -> Response:
    with domain_action(ctx.session):
        alerts.acknowledge(ctx.session, ctx.runtime.publisher, ctx.user, alert_id)
    target = back if back.startswith(("/listening/alerts", "/cases/")) and "//" not in back else "/listening/alerts"
    return redirect(target)


@router.get("/listening/cases/{number}/alerts")
def case_alerts(request: Request, number: int, ctx: ReadCasesPage) -> Response:
    """The case's alerts (a high-reach complaint), for the case page's panel."""
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    rows = alert_queries.case_alerts(ctx.session, ctx.user.workspace_id, case.id)
    return render(request, ctx, "_case_alerts_list.html", alerts=rows, case=case)


def _settings_page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200,
                   saved: bool = False) -> Response:
    row = alerts.settings_of(ctx.session, ctx.user.workspace_id)
    return render(request, ctx, "listening_settings.html", status_code=status_code, s=row, error=error,
                  saved=saved, sensitivities=SENSITIVITIES, default_sensitivity=SpikeSensitivity.NORMAL)


@router.get("/listening/settings")
def settings_page(request: Request, ctx: SupervisePage, saved: int = 0) -> Response:
    return _settings_page(request, ctx, saved=bool(saved))


def _int(value: str) -> int:
    value = value.strip().replace(" ", "").replace(",", "")
    if not value.isdigit():
        raise Invalid("Enter whole numbers for the counts and thresholds.")
    return int(value)


@router.post("/listening/settings")
def save_settings(
    request: Request,
    ctx: SupervisePage,
    spikes_enabled: Annotated[str, Form()] = "",
    spike_sensitivity: Annotated[str, Form()] = SpikeSensitivity.NORMAL,
    spike_min_count: Annotated[str, Form()] = "10",
    reach_enabled: Annotated[str, Form()] = "",
    reach_min_followers: Annotated[str, Form()] = "10000",
    reach_verified: Annotated[str, Form()] = "",
    reach_promoted: Annotated[str, Form()] = "",
    reach_reshares_per_hour: Annotated[str, Form()] = "20",
) -> Response:
    try:
        with domain_action(ctx.session):
            alerts.save_settings(
                ctx.session, ctx.runtime.publisher, ctx.user, spikes_enabled=bool(spikes_enabled),
                spike_sensitivity=spike_sensitivity, spike_min_count=_int(spike_min_count),
                reach_enabled=bool(reach_enabled),
                reach_min_followers=_int(reach_min_followers),
                reach_verified=bool(reach_verified), reach_promoted=bool(reach_promoted),
                reach_reshares_per_hour=_int(reach_reshares_per_hour))
    except ComprisError as exc:
        return _settings_page(request, ctx, error=exc.message, status_code=422)
    return redirect("/listening/settings?saved=1")
