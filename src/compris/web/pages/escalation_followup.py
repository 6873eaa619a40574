"""The supervisors' page of escalations to follow up: overdue and due soon across the workspace (refreshed every
30 seconds while open)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.escalation import queries
from compris.kit.clock import now
from compris.web.deps import SupervisePage
from compris.web.pages.render import is_htmx, render

router = APIRouter(include_in_schema=False)


@router.get("/supervisor/escalations")
def escalations_page(request: Request, ctx: SupervisePage) -> Response:
    at = now()
    ws = ctx.user.workspace_id
    overdue = queries.follow_up_list(ctx.session, ws, "overdue", at)
    soon = queries.follow_up_list(ctx.session, ws, "due_soon", at)
    template = "supervisor_escalations_table.html" if is_htmx(request) else "supervisor_escalations.html"
    return render(request, ctx, template, overdue=overdue, soon=soon, at=at)
