"""A ceiling on request bodies, enforced while the body is read.

Starlette parses a multipart form completely (spooling each file to a temporary file) before a handler can look
at a file's size, so the per-file limit (``COMPRIS_MAX_UPLOAD_BYTES``) alone would let anyone who can reach the
app fill the disk with one endless upload. This middleware refuses a body larger than the most a legitimate
request can carry (:func:`request_limit`: a reply's files at the upload limit each, plus room for its fields):
at once when ``Content-Length`` says so, otherwise as soon as the bytes received exceed it (chunked uploads).
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from compris.config import Settings
from compris.web import i18n

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the most files one request may carry (the largest count a network accepts on one reply; the API's limit)
MAX_FILES_PER_REQUEST = 10
#: room for the form fields and the multipart framing around the files
FIELDS_ALLOWANCE = 1024 * 1024


def request_limit(settings: Settings) -> int:
    return settings.max_upload_bytes * MAX_FILES_PER_REQUEST + FIELDS_ALLOWANCE


class _Refused(Exception):
    """Raised into the app from ``receive`` once the 413 answer is sent: it stops reading the body."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def refusal(scope: Scope, limit: int) -> tuple[str, dict[str, str]]:
    """The message (in the browser's language) and, for an HTMX request, headers that keep the page as it is
    (no swap: the reply box keeps the draft) and show the message as a toast."""
    lang = i18n.from_accept_language(_header(scope, b"accept-language"))
    message = i18n.gettext(lang, "The request is too large: at most %(size)s in all.",
                           size=i18n.format_size(limit, lang))
    headers: dict[str, str] = {}
    if _header(scope, b"hx-request"):
        headers = {"HX-Reswap": "none", "HX-Trigger": json.dumps({"compris:error": message})}
    return message, headers


class BodyLimit:
    """Refuse request bodies over :func:`request_limit` (413) while they are read, never after.

    The answer is sent from ``receive`` as soon as the limit is passed; whatever the app then does with the
    exception that stops its read (a form parser may wrap it, a handler may turn it into a 400) is not sent."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = request_limit(self.settings)
        declared = (_header(scope, b"content-length") or "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started and not refused:
                        refused = True
                        await _refuse(scope, send, limit)
                    raise _Refused()
            return message

        async def watch_send(message: Message) -> None:
            nonlocal started
            if refused:  # the 413 went out: the app's own answer to the interrupted read is dropped
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watch_send)
        except Exception:  # whatever the interrupted read became: the 413 is already sent
            if refused:
                return
            raise


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    message, headers = refusal(scope, limit)
    accept = _header(scope, b"accept") or ""
    if "text/html" in accept and not _header(scope, b"hx-request") and not str(scope.get("path", "")).startswith(
            ("/api/", "/webhooks/")):
        body = ('<!doctype html><html><head><meta charset="utf-8"><title>Compris</title>'
                '<link rel="stylesheet" href="/static/app.css"></head><body><main class="error-page">'
                f"<h1>413</h1><p>{html.escape(message)}</p></main></body></html>").encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": message}).encode()
        content_type = b"application/json"
    raw_headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": 413, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
