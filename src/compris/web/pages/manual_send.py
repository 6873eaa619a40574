"""Replies posted by hand (networks with no API for public replies: Tripadvisor's management responses).

The reply waits in the ``manual`` delivery state (:func:`compris.inbox.actions.queue_outbound`); the case page shows
it with "Copy", "Open on Tripadvisor", "I posted it" and "Not posted" (``_manual_send.html``). These two POSTs are
CSRF-checked by ``page_user`` and answer like the case's other actions (HTMX fragments, or a redirect)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.inbox import actions
from compris.inbox.queries import get_message
from compris.kit.errors import NotFound
from compris.models import Message
from compris.web.deps import PageContext, WorkCasesPage
from compris.web.pages.case import _case, _not_found, run_case_action

router = APIRouter(include_in_schema=False)


def _on_message(request: Request, ctx: PageContext, number: int, message_id: int,
                do: Callable[[Message], object]) -> Response:
    """One action on one message of one case: 404 for another workspace's case or message, or a message of another
    case; the action's refusal shown next to the case's actions."""
    try:
        case = _case(ctx, number)
        message = get_message(ctx.session, ctx.user.workspace_id, message_id)
        if message.case_id != case.id:
            raise NotFound("no such message")
    except NotFound:
        return _not_found(request, ctx)
    return run_case_action(request, ctx, number, lambda: do(message))


@router.post("/cases/{number}/messages/{message_id}/posted-by-hand")
def posted_by_hand(number: int, message_id: int, request: Request,
                   ctx: WorkCasesPage) -> Response:
    """"I posted it": the agent posted the reply on the network by hand."""
    return _on_message(request, ctx, number, message_id, lambda message: actions.confirm_manual_send(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message))


@router.post("/cases/{number}/messages/{message_id}/not-posted")
def not_posted(number: int, message_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    """"Not posted": the reply was never posted on the network (it becomes failed; Retry keeps it to post again)."""
    return _on_message(request, ctx, number, message_id, lambda message: actions.cancel_manual_send(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message))
