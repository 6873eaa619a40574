"""Single messages: read one (e.g. to follow a reply's delivery) and retry a failed reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.inbox import actions, queries
from compris.inbox.schemas import MessageOut
from compris.web.api import load
from compris.web.api.common import Api, errors

router = APIRouter(tags=["messages"])

MessageId = Annotated[int, Path(description="The message id (from a case's timeline).", examples=[5012])]


@router.get("/messages/{message_id}", response_model=MessageOut, summary="Read a message",
            responses=errors(404, 422))
def get_message(message_id: MessageId, ctx: Api) -> MessageOut:
    """One message with its delivery state: poll it to follow a reply until it is `sent` or `failed`."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    return load.message(ctx.session, message)


@router.post("/messages/{message_id}/retry", status_code=202, response_model=MessageOut,
             summary="Retry a failed reply", responses=errors(404, 409, 422))
def retry(message_id: MessageId, ctx: Api) -> MessageOut:
    """Send a `failed` or `uncertain` reply again (409 for any other state). The reply goes back to `queued`."""
    message = queries.get_message(ctx.session, ctx.user.workspace_id, message_id)
    actions.retry_send(ctx.session, ctx.runtime.publisher, actor=ctx.user, message=message)
    return load.message(ctx.session, message)
