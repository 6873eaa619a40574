"""Deliveries set aside (admins): the verified deliveries Compris could not process, and their replay.

The same action as Admin → Deliveries (``compris.inbox.ingest.replay``): idempotent, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.inbox import ingest
from compris.inbox.schemas import RawEventList, RawEventOut, RawEventReplayOut
from compris.web.api.common import ChannelsApi, errors

router = APIRouter(tags=["deliveries"])

BODY_SHOWN = 2000
NOT_FOUND = "No such delivery in your workspace."
RawEventId = Annotated[int, Path(description="The delivery's id (see `GET /raw-events`).", examples=[812])]


@router.get("/raw-events", response_model=RawEventList, summary="Deliveries set aside", responses=errors(403))
def list_raw_events(ctx: ChannelsApi) -> RawEventList:
    """Verified deliveries that need a person, newest first (up to 100): those Compris could not understand
    (`unprocessable`, with the reason) and those still waiting for processing after 10 minutes (`pending`)."""
    rows = ingest.set_aside(ctx.session, ctx.user.workspace_id)
    return RawEventList(items=[
        RawEventOut(id=e.id, channel_account_id=e.channel_account_id, event_key=e.event_key,
                    status="pending" if e.status == "pending" else "unprocessable", error=e.error,
                    content_type=e.content_type, size=len(e.body),
                    body_start=bytes(e.body[:BODY_SHOWN]).decode("utf-8", errors="replace"), created_at=e.created_at)
        for e in rows])


@router.post("/raw-events/{raw_event_id}/replay", status_code=202, response_model=RawEventReplayOut,
             summary="Replay a delivery", responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def replay_raw_event(raw_event_id: RawEventId, ctx: ChannelsApi) -> RawEventReplayOut:
    """Process a delivery set aside again (once its cause is fixed, e.g. after a connector update). Idempotent:
    a delivery already processed is a `409` (never processed twice), one already waiting gets no second run
    (`pending`). Follow it with `GET /raw-events`: it leaves the list once processed."""
    result = ingest.replay(ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id,
                           raw_event_id=raw_event_id, actor_user_id=ctx.user.id)
    return RawEventReplayOut(id=result.raw_event_id, outcome="queued" if result.outcome == "queued" else "pending")
