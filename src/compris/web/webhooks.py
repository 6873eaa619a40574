"""``/webhooks/{account_id}``: verify, store, answer. Nothing else happens here."""

from __future__ import annotations

import json

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from compris.connectors.base import WebhookRequest
from compris.inbox.ingest import WebhookRejected, receive
from compris.web.deps import get_runtime

router = APIRouter()


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def json_problem(body: bytes) -> str | None:
    """Why a delivery's body is not JSON we accept (400 before its signature is even checked), or None."""
    try:
        json.loads(body)
    except UnicodeDecodeError:
        return "malformed JSON: not valid UTF-8"
    except RecursionError:
        return "malformed JSON: nested too deeply"
    except ValueError:
        return "malformed JSON"
    return None


@router.api_route("/webhooks/{account_id}", methods=["GET", "POST"], include_in_schema=False)
async def webhook(account_id: int, request: Request) -> Response:
    runtime = get_runtime(request)
    try:
        body = await read_limited(request, runtime.settings.max_webhook_bytes)
    except BodyTooLarge:
        return JSONResponse({"error": "body too large"}, status_code=413)
    incoming = WebhookRequest(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
    )
    if request.method == "POST" and "json" in request.headers.get("content-type", "json"):
        problem = await anyio.to_thread.run_sync(json_problem, body)
        if problem is not None:
            return JSONResponse({"error": problem}, status_code=400)
    try:
        received = await anyio.to_thread.run_sync(
            receive, runtime.db, runtime.publisher, runtime.settings.secret_key, account_id, incoming
        )
    except WebhookRejected as exc:
        return JSONResponse({"error": exc.reason}, status_code=exc.status_code)
    r = received.response
    return Response(content=r.body, status_code=r.status_code, media_type=r.media_type)
