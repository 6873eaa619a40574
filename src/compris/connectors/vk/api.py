"""Calls to the VK API (``POST https://api.vk.com/method/<name>``, form-encoded, ``access_token`` and ``v=5.199`` in
the form) and VK's error answers → :class:`SendError`.

VK answers HTTP 200 for refused calls too, with ``{"error": {"error_code", "error_msg", "request_params"}}``
instead of ``{"response": ...}``; the codes are in ``VKCOM/vk-api-schema/errors.json`` (API 5.199).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import SendError, retry_after_seconds, transport_failure
from compris.connectors.wire import error_text

API_VERSION = "5.199"
DEFAULT_API_BASE = "https://api.vk.com"

#: codes where trying again later may succeed, with the wait VK's rule suggests (seconds)
RETRYABLE: Mapping[int, tuple[float | None, str]] = {
    1: (None, "VK reported an unknown error"),
    6: (1.0, "too many requests per second (VK allows a community token 20 per second)"),
    9: (60.0, "VK's flood control refused the call (too many similar actions in a short time)"),
    10: (None, "VK had an internal server error"),
    29: (3600.0, "the method's daily rate limit for this community is reached"),
    36: (None, "VK interrupted the call: it took too long"),
}
#: retryable codes where VK may have carried the call out although it answered an error (unknown error, internal
#: error, interrupted after too long): a send is then *ambiguous* (retried with the same ``random_id``/``guid``)
AMBIGUOUS: frozenset[int] = frozenset({1, 10, 36})
#: codes meaning VK refused our credentials: a new community token is needed (VK tokens are not refreshed)
UNAUTHORIZED: Mapping[int, str] = {
    5: "VK refused the access token (revoked, expired or mistyped): create a new community token",
    27: "VK refused the community token (group authorization failed): create a new one",
    28: "VK refused the application's authorization",
    1117: "the access token has expired: create a new one",
}
#: codes where trying again will not help, with what they mean for the agent
REFUSED: Mapping[int, str] = {
    7: "the token lacks the right this needs (messages, wall or photos): create a token with it",
    14: "VK asks for a captcha: a person must post this on VK",
    15: "VK denied access (the token or the community cannot do this)",
    18: "the customer's VK page was deleted or banned",
    30: "the customer's profile is private",
    100: "VK found a parameter missing or invalid",
    113: "VK does not know this user id",
    203: "access to the community is denied to this token",
    210: "access to the post is denied (deleted or hidden?)",
    211: "access to the comment is denied (deleted?)",
    212: "comments on this post are closed or not allowed",
    213: "VK does not allow replies here (comments closed)",
    222: "VK forbids links in this comment: remove the link",
    223: "too many replies on this post for now",
    900: "the customer blocked the community",
    901: "the customer has not allowed messages from the community (or has since denied them)",
    902: "the customer's privacy settings do not allow messages from the community",
    910: "the message is too big for VK",
    914: "the message is too long for VK",
    917: "the community has no access to this chat",
    932: "the community cannot write to this conversation",
    945: "this chat was disabled",
    950: "VK refused: the time to reply in this conversation is over",
    911: "VK found the keyboard's format invalid",
    912: "the community's bot capabilities are off (Manage → Messages → Bot settings)",
    985: "the community can only send notifications",
}


class VKRefusal(SendError):
    """A VK error answer (``{"error": {...}}``), with VK's ``error_code``."""

    def __init__(self, code: int, reason: str, *, retryable: bool, retry_after: float | None = None,
                 unauthorized: bool = False, ambiguous: bool = False) -> None:
        super().__init__(reason, retryable=retryable, retry_after=retry_after, unauthorized=unauthorized,
                         ambiguous=ambiguous)
        self.code = code


def random_id(idempotency_key: str) -> int:
    """A stable, non-zero 31-bit ``random_id`` for ``messages.send`` derived from our idempotency key: the same
    reply retried carries the same value, and VK drops the repeat (it checks the dialog's last hour; 0 would turn
    the check off)."""
    value = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:4], "big") & 0x7FFFFFFF
    return value or 1


def base_url(settings: Mapping[str, Any]) -> str:
    return str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")


def vk_error(data: object) -> tuple[int, str] | None:
    """``(error_code, error_msg)`` of a VK error answer, None when ``data`` is none."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return None
    error = data["error"]
    code = error.get("error_code")
    try:
        number = int(code) if not isinstance(code, bool) else -1
    except (TypeError, ValueError):
        number = -1
    message = error.get("error_msg")
    return number, str(message)[:300] if isinstance(message, str) else ""


def refusal(code: int, message: str) -> VKRefusal:
    """VK's error ``code`` as a classified :class:`SendError`."""
    said = f" [VK error {code}: {message}]" if message else f" [VK error {code}]"
    if code in RETRYABLE:
        wait, reason = RETRYABLE[code]
        return VKRefusal(code, reason + said, retryable=True, retry_after=wait, ambiguous=code in AMBIGUOUS)
    if code in UNAUTHORIZED:
        return VKRefusal(code, UNAUTHORIZED[code] + said, retryable=False, unauthorized=True)
    reason = REFUSED.get(code, "VK refused the call")
    return VKRefusal(code, reason + said, retryable=False)


def call(client: httpx.Client, settings: Mapping[str, Any], token: str, method: str,
         params: Mapping[str, str | int]) -> Any:
    """One API call; returns the ``response`` value or raises :class:`SendError` classified for retries.

    A failure after the call may have reached VK (a timeout or a broken connection once the request was written, a
    5xx, VK's error 1, 10 or 36) is *ambiguous*; a connection that could not be opened, a 429 or a refusal is not."""
    form = {k: str(v) for k, v in params.items()}
    form["access_token"] = token
    form["v"] = API_VERSION
    try:
        answer = client.post(f"{base_url(settings)}/method/{method}", data=form,
                             headers={"accept": "application/json"})
    except httpx.TransportError as exc:
        failure = transport_failure(exc, "VK")
        failure.reason = failure.reason + f" ({method})"
        failure.args = (failure.reason,)
        raise failure from None
    status = answer.status_code
    now = datetime.now(UTC)
    if status == 429 or status >= 500:
        raise SendError(f"VK answered {status} to {method}: {error_text(answer.content)}", retryable=True,
                        retry_after=retry_after_seconds(answer.headers, now), ambiguous=status >= 500)
    if status >= 400:
        raise SendError(f"VK refused {method} ({status}): {error_text(answer.content)}", retryable=False)
    try:
        data = answer.json()
    except ValueError:
        raise SendError(f"VK answered {method} with a body that is not JSON", retryable=False) from None
    found = vk_error(data)
    if found is not None:
        raise refusal(*found)
    if not isinstance(data, dict) or "response" not in data:
        raise SendError(f"VK answered {method} without a response", retryable=False)
    return data["response"]
