"""Bulk operations over many cases: start one, follow its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select

from compris.kit.errors import NotFound
from compris.listening import bulk
from compris.listening import queries as listening_queries
from compris.listening.schemas import BulkItemOut, BulkRunIn, BulkRunOut
from compris.models import Case
from compris.web.api.common import ReadCasesApi, WorkCasesApi, errors

router = APIRouter(tags=["bulk"])

RunId = Annotated[int, Path(description="The bulk operation's id.", examples=[31])]


def run_out(progress: listening_queries.BulkProgress) -> BulkRunOut:
    run = progress.run
    return BulkRunOut(
        id=run.id, kind=run.kind, state=run.state, total=run.total,  # type: ignore[arg-type]
        pending=progress.pending, done=progress.done, skipped=progress.skipped, failed=progress.failed,
        sent=progress.sent, send_failed=progress.send_failed, incident_id=run.incident_id,
        created_at=run.created_at, finished_at=run.finished_at,
        items=[BulkItemOut(case_number=o.case_number, state=o.state, reason=o.reason,  # type: ignore[arg-type]
                           message_id=o.message_id, delivery=o.delivery) for o in progress.outcomes])


def params_of(body: BulkRunIn) -> dict[str, Any]:
    if body.kind == bulk.ASSIGN:
        return {"assignee_id": body.assignee_id}
    if body.kind == bulk.TRANSFER:
        return {"team_id": body.team_id}
    if body.kind in (bulk.TAG, bulk.UNTAG):
        return {"tags": body.tags}
    if body.kind == bulk.SET_STATUS:
        return {"status": body.status}
    return {"template_id": body.template_id, "texts": body.texts, "visibility": body.visibility}


@router.post("/bulk-runs", status_code=202, response_model=BulkRunOut, summary="Start a bulk operation",
             responses=errors(403, 404, 422, not_found="A case, agent, team or template is not in your workspace."))
def start_run(body: BulkRunIn, ctx: WorkCasesApi) -> BulkRunOut:
    """Assign, transfer, tag, untag, set the status of, resolve (with an optional closing message) or reply to
    many cases. The operation runs in the background, each case once, through the same action as by hand (its
    events, its timeline, the reply guard and the outbox for replies); follow it with `GET /bulk-runs/{id}`.
    Agents work the cases they may work (their own, unassigned ones, their teams'): the others are `skipped`."""
    numbers = list(dict.fromkeys(body.case_numbers))
    ids = dict(ctx.session.execute(select(Case.number, Case.id).where(
        Case.workspace_id == ctx.user.workspace_id, Case.number.in_(numbers))).all())
    missing = [n for n in numbers if n not in ids]
    if missing:
        raise NotFound.of("no such case: #%(number)s", number=missing[0])
    run = bulk.start(ctx.session, ctx.runtime.publisher, actor=ctx.user, case_ids=[ids[n] for n in numbers],
                     kind=body.kind, params=params_of(body))
    return run_out(listening_queries.bulk_progress(ctx.session, ctx.user.workspace_id, run.id))


@router.get("/bulk-runs/{run_id}", response_model=BulkRunOut, summary="Follow a bulk operation",
            responses=errors(404, 422, not_found="No such bulk operation in your workspace."))
def get_run(run_id: RunId, ctx: ReadCasesApi) -> BulkRunOut:
    """The operation's progress and each case's outcome (with the reason of those skipped or failed, and the
    delivery of each reply)."""
    return run_out(listening_queries.bulk_progress(ctx.session, ctx.user.workspace_id, run_id))
