"""Listening alerts (supervisors and admins): the list, and acknowledging one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from compris.kit.errors import NotFound
from compris.listening import alert_queries, alerts
from compris.listening.schemas import AlertList, AlertOut
from compris.models import Alert, Case
from compris.web.api.common import SuperviseApi, errors
from compris.web.deps import PageContext

router = APIRouter(prefix="/alerts", tags=["listening"])


def _out(ctx: PageContext, alert: Alert) -> AlertOut:
    number = None
    if alert.case_id is not None:
        case = ctx.session.get(Case, alert.case_id)
        number = case.number if case is not None and case.workspace_id == alert.workspace_id else None
    return AlertOut.model_validate({
        "id": alert.id, "kind": alert.kind, "key": alert.key, "title": alert.title, "reasons": alert.reasons,
        "data": alert.data, "case_number": number, "window_start": alert.window_start,
        "created_at": alert.created_at, "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by_user_id": alert.acknowledged_by_user_id, "incident_id": alert.incident_id})


@router.get("", response_model=AlertList, summary="The workspace's alerts", responses=errors(403, 422))
def list_alerts(
    ctx: SuperviseApi,
    state: Annotated[Literal["open", "acknowledged", "all"],
                     Query(description="`open`: not acknowledged yet.")] = "all",
    kind: Annotated[Literal["spike", "reach", "cluster"] | None, Query(description="Only this kind.")] = None,
    before: Annotated[int | None, Query(ge=1, description="Alerts older than this id (the next page).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertList:
    """Newest first."""
    rows = alert_queries.alerts(ctx.session, ctx.user.workspace_id, state=state, kind=kind, limit=limit + 1,
                                before_id=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return AlertList(items=[_out(ctx, a) for a in rows], next_before=rows[-1].id if more and rows else None)


@router.post("/{alert_id}/acknowledge", response_model=AlertOut, summary="Acknowledge an alert",
             responses=errors(403, 404, 422, not_found="No such alert in this workspace."))
def acknowledge_alert(ctx: SuperviseApi, alert_id: int) -> AlertOut:
    """Marks the alert seen (once: acknowledging again changes nothing)."""
    if alert_queries.alert(ctx.session, ctx.user.workspace_id, alert_id) is None:
        raise NotFound("alert not found")
    return _out(ctx, alerts.acknowledge(ctx.session, ctx.runtime.publisher, ctx.user, alert_id))
