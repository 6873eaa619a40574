"""Escalations as supervisors follow them up: overdue, due soon, open (``GET /escalations?state=...``).

A router of its own (included in :mod:`compris.web.api`), apart from the escalation actions' routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from compris.escalation import queries
from compris.escalation.schemas import FollowUpItem, FollowUpList
from compris.kit.clock import now
from compris.web.api.common import SuperviseApi, errors

router = APIRouter(tags=["escalation"])


@router.get("/escalations", response_model=FollowUpList, summary="Overdue, due-soon and open escalations",
            responses=errors(403, 422))
def list_escalations(
    ctx: SuperviseApi,
    state: Annotated[Literal["overdue", "due_soon", "open"], Query(
        description="`overdue`: due time passed without an answer; `due_soon`: due within 4 hours; `open`: every "
                    "escalation waiting for a partner or answered and waiting for the agent.")] = "overdue",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> FollowUpList:
    """Across the workspace, the earliest due first (supervisors and admins)."""
    at = now()
    rows = queries.follow_up_list(ctx.session, ctx.user.workspace_id, state, at, limit=limit)
    items = []
    for row in rows:
        e = row.escalation
        late = row.late_by(at) if row.state(at) == "overdue" else None
        items.append(FollowUpItem(
            id=e.id, case_number=row.case_number, partner_id=e.partner_id, partner=row.partner_name,
            status=e.status, state=row.state(at), due_at=e.due_at,  # type: ignore[arg-type]
            late_minutes=int(late.total_seconds() // 60) if late is not None else None, overdue_at=e.overdue_at,
            reminders_sent=e.reminders_sent, next_check_at=e.next_check_at, assignee_id=row.assignee_id,
            assignee=row.assignee_name))
    return FollowUpList(items=items)
