"""``/live``: server-sent events with the signed-in agent's workspace changes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from compris.web.deps import get_runtime, session_user

router = APIRouter()

HEARTBEAT_SECONDS = 15.0
SESSION_CHECK_SECONDS = 30.0  # an open stream notices a session ended on the server (logout elsewhere, deactivation)


@router.get("/live", include_in_schema=False)
async def live(request: Request) -> StreamingResponse:
    runtime = get_runtime(request)

    def who() -> int | None:
        with runtime.db.transaction() as session:
            user = session_user(request, session)
            return user.workspace_id if user else None

    workspace_id = await anyio.to_thread.run_sync(who)
    if workspace_id is None:
        return StreamingResponse(
            iter([b"event: signed-out\ndata: {}\n\n"]), media_type="text/event-stream", status_code=401
        )
    sub = runtime.hub.subscribe(workspace_id)

    async def stream() -> AsyncIterator[bytes]:
        checked = time.monotonic()
        try:
            yield b"retry: 2000\n: connected\n\n"
            while True:
                if await request.is_disconnected():
                    break
                if time.monotonic() - checked >= SESSION_CHECK_SECONDS:
                    checked = time.monotonic()
                    try:
                        still = await anyio.to_thread.run_sync(who)
                    except Exception:  # the database unreachable for a moment: not a reason to sign anybody out
                        still = workspace_id
                    if still != workspace_id:
                        yield b"event: signed-out\ndata: {}\n\n"
                        break
                try:
                    event = await asyncio.wait_for(sub.queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                data = json.dumps(event, separators=(",", ":"), default=str)
                yield f"event: {event.get('kind', 'message')}\ndata: {data}\n\n".encode()
        finally:
            runtime.hub.unsubscribe(sub)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
