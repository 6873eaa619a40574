"""Calls to the Telegram Bot API (``POST {api_base}/bot<token>/<method>``) with its error shapes turned into
:class:`SendError`.

The bot token is part of every URL: it never appears in an error, a reason or a log line. httpx logs each request's
URL at INFO level; :class:`RedactToken` (installed on the ``httpx`` logger when this module is imported) replaces
``/bot<token>/`` with ``/bot<redacted>/`` in those lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from compris.connectors.base import SendError, transport_failure
from compris.connectors.wire import error_text

DEFAULT_API_BASE = "https://api.telegram.org"
PRODUCT = "Telegram"

_TOKEN_IN_URL = re.compile(r"/(file/)?bot[0-9]+:[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    """``text`` with every bot token of a Bot API URL replaced by ``<redacted>``."""
    return _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<redacted>", text)


class RedactToken(logging.Filter):
    """Rewrites log records that carry a Bot API URL (httpx's ``HTTP Request: POST https://…/bot<token>/…``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/bot" in message:
            record.msg, record.args = redact(message), ()
        return True


def _install_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactToken) for f in logger.filters):
        logger.addFilter(RedactToken())


_install_filter()

#: Telegram's descriptions (lower-cased fragments) that say the customer or chat cannot be written to: never retried
_REASONS = (
    ("bot was blocked by the user", "the customer blocked the bot"),
    ("user is deactivated", "the customer's Telegram account was deleted"),
    ("bot can't initiate conversation", "the customer has never started a conversation with the bot (a bot cannot "
                                        "write first)"),
    ("bot was kicked", "the bot was removed from this group"),
    ("bot is not a member", "the bot is not a member of this chat"),
    ("chat not found", "Telegram does not know this chat (the customer never started the bot, or it was deleted)"),
    ("business_connection_invalid", "the Telegram Business connection no longer exists (the business "
                                    "disconnected the bot)"),
    ("business_peer_invalid", "the bot may not answer this chat on behalf of the business (the chat is not among "
                              "the business connection's recipients, or it was inactive for more than 24 hours)"),
    ("business_peer_usage_missing", "the business chat was inactive for more than 24 hours: Telegram lets the bot "
                                    "answer only chats active in the last 24 hours"),
)


class BotApi:
    """One bot's view of the Bot API."""

    def __init__(self, client: httpx.Client, *, api_base: str, token: str) -> None:
        self.client = client
        self.api_base = api_base.rstrip("/")
        self._token = token

    def url(self, method: str) -> str:
        return f"{self.api_base}/bot{self._token}/{method}"

    def file_url(self, file_path: str) -> str:
        """The download address of a file ``getFile`` gave the path of: it holds the bot token, so it is used at
        once and never stored, logged or put in an error."""
        return f"{self.api_base}/file/bot{self._token}/{quote(file_path.lstrip('/'), safe='/')}"

    def call(self, method: str, body: Mapping[str, Any] | None = None, *,
             files: Mapping[str, tuple[str, bytes, str]] | None = None) -> Any:
        """``POST`` ``method`` with a JSON body (or a multipart form when ``files`` are given); returns ``result``.

        A failure of a ``send…`` method after the request may have reached Telegram (a timeout or a broken connection
        once it was written, a 5xx) is *ambiguous*: the Bot API has no idempotency key and cannot list a chat's
        messages, so such a reply is marked uncertain for a person rather than sent again."""
        try:
            if files:
                form = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                        for k, v in (body or {}).items()}
                response = self.client.post(self.url(method), data=form, files=dict(files))
            else:
                response = self.client.post(
                    self.url(method), content=json.dumps(body or {}, ensure_ascii=False).encode(),
                    headers={"content-type": "application/json", "accept": "application/json"})
        except httpx.TransportError as exc:
            failure = transport_failure(exc, PRODUCT)
            if failure.ambiguous and not writes(method):  # a read changed nothing
                failure = SendError(f"the call to {PRODUCT} failed: {type(exc).__name__}", retryable=True)
            failure.reason = f"{failure.reason} ({method})"
            failure.args = (failure.reason,)
            raise failure from None
        return result(response, method)


def writes(method: str) -> bool:
    """Whether ``method`` posts something in a chat (``sendMessage``, ``sendPhoto``…): only its failures are
    ambiguous; a read (``getFile``, ``getBusinessConnection``) that failed changed nothing."""
    return method.startswith(("send", "forward", "copy"))


def result(response: httpx.Response, method: str) -> Any:
    """The ``result`` of a Bot API answer ``{"ok": true, "result": …}``, or the :class:`SendError` it means."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    status = response.status_code
    if isinstance(data, dict) and data.get("ok") is True and status < 400:
        return data.get("result")
    if not isinstance(data, dict):
        if status < 400:  # accepted, but unreadable: a message may have been posted
            raise SendError(f"{PRODUCT} answered {method} with an unexpected body", retryable=writes(method),
                            ambiguous=writes(method))
        raise SendError(f"{PRODUCT} error {status} ({method}): {redact(error_text(response.content))}",
                        retryable=status >= 500 or status == 429, ambiguous=status >= 500 and writes(method))
    raise error(data, status, method)


def error(data: Mapping[str, Any], status: int, method: str) -> SendError:
    """``{"ok": false, "error_code", "description", "parameters": {retry_after, migrate_to_chat_id}}`` as a
    :class:`SendError`: 429 and 5xx are retried (after ``retry_after``), 401 means the token was revoked, the rest
    (400 chat not found, 403 blocked...) is final, with a clear reason."""
    given = data.get("error_code")
    code = given if isinstance(given, int) and not isinstance(given, bool) else status
    description = redact(str(data.get("description") or "error"))[:300]
    found = data.get("parameters")
    parameters: Mapping[str, Any] = found if isinstance(found, dict) else {}
    if code == 429 or status == 429:
        wait = parameters.get("retry_after")
        retry_after = float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0 \
            and wait < 86_400 else None
        return SendError(f"{PRODUCT} rate limit reached ({method}): {description}", retryable=True,
                         retry_after=retry_after)
    if code >= 500 or status >= 500:
        return SendError(f"{PRODUCT} server error {code} ({method}): {description}", retryable=True,
                         ambiguous=writes(method))
    if code == 401 or status == 401:
        return SendError(f"{PRODUCT} refused the bot token ({description}): it was revoked or changed in "
                         "@BotFather; paste the new token in the account's settings", retryable=False,
                         unauthorized=True)
    migrated = parameters.get("migrate_to_chat_id")
    if migrated is not None:
        return SendError(f"{PRODUCT}: this group became a supergroup (new chat id {migrated}); answer the "
                         "customer's next message there", retryable=False)
    lowered = description.lower()
    for fragment, meaning in _REASONS:
        if fragment in lowered:
            return SendError(f"{PRODUCT}: {meaning} [{code}: {description}]", retryable=False)
    return SendError(f"{PRODUCT} refused {method} ({code}): {description}", retryable=False)
