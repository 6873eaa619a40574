"""Single messages: read one (e.g. to follow a reply's delivery), retry a failed reply, and confirm (or cancel) a
reply the agent posts by hand on a network with no API for it (Tripadvisor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.inbox import actions, queries
from compris.inbox.schemas import MessageOut
from compris.web.api import load
from compris.web.api.common import ReadCasesApi, WorkCasesApi, errors

router = APIRouter(tags=["messages"])

MessageId = Annotated[int, Path(description="The message id (from a case's timeline).", examples=[5012])]


@router.get("/messages/{message_id}", response_model=MessageOut, summary="Read a message",
            responses=errors(404, 422))
def get_message(message_id: MessageId, ctx: ReadCasesApi) -> MessageOut:
    """One message with its delivery state: poll it to follow a reply until it is `sent` or `failed`."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    return load.message(ctx.session, message)


@router.post("/messages/{message_id}/retry", status_code=202, response_model=MessageOut,
             summary="Retry a failed reply", responses=errors(404, 409, 422))
def retry(message_id: MessageId, ctx: WorkCasesApi) -> MessageOut:
    """Send a `failed` or `uncertain` reply again (409 for any other state). The reply goes back to `queued`."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    actions.retry_send(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message)
    return load.message(ctx.session, message)


@router.post("/messages/{message_id}/posted-by-hand", response_model=MessageOut,
             summary="Confirm a reply posted by hand", responses=errors(404, 409, 422))
def posted_by_hand(message_id: MessageId, ctx: WorkCasesApi) -> MessageOut:
    """The agent posted this reply on the network by hand (Tripadvisor has no API for management responses): a
    `manual` reply becomes `sent`, and counts as the case's first response like any sent reply. Confirming twice
    does nothing; a `failed` (not posted) reply is a 409 (retry it first); a message that is not a reply to post
    by hand is a 422."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    actions.confirm_manual_send(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message)
    return load.message(ctx.session, message)


@router.post("/messages/{message_id}/not-posted", response_model=MessageOut,
             summary="Say a reply to post by hand was not posted", responses=errors(404, 409, 422))
def not_posted(message_id: MessageId, ctx: WorkCasesApi) -> MessageOut:
    """The agent did not post this `manual` reply: it becomes `failed` with the reason "not posted" (kept in the
    case; `retry` puts it back in `manual`). Twice does nothing; a confirmed (`sent`) reply is a 409."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    actions.cancel_manual_send(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message)
    return load.message(ctx.session, message)
