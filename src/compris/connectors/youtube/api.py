"""HTTP calls to the YouTube Data API v3 (plain ``httpx`` on the runtime's client) and its error bodies.

Google's errors look like ``{"error": {"code": 403, "message": "...", "errors": [{"domain": "youtube.quota",
"reason": "quotaExceeded", "message": "..."}]}}``: the ``reason`` says what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from compris.connectors.base import AccountContext, ConnectorError, SendError, retry_after_seconds, transport_failure
from compris.connectors.youtube import quota

API_BASE = "https://www.googleapis.com/youtube/v3"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def base_url(account: AccountContext) -> str:
    return str(account.settings.get("api_base") or API_BASE).rstrip("/")


def reasons(response: httpx.Response) -> tuple[str, str]:
    """(the first ``errors[].reason``, a short message) of a Google error body; empty strings when absent."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", str(error or "")[:200] if isinstance(error, str) else ""
    reason = ""
    items = error.get("errors")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                reason = item["reason"]
                break
    message = error.get("message")
    return reason, (message if isinstance(message, str) else "")[:300]


def describe(response: httpx.Response) -> str:
    reason, message = reasons(response)
    return ": ".join(p for p in (f"{response.status_code}", reason, message) if p)


class QuotaExceeded(ConnectorError):
    """YouTube answered 403 quotaExceeded: nothing more until the Pacific midnight reset."""


class Unauthorized(ConnectorError):
    """YouTube refused the access token (401): renew it and try again."""


def get(client: httpx.Client, account: AccountContext, path: str, params: Mapping[str, str], token: str) -> Any:
    """One read call (1 quota unit); the JSON object, or :class:`Unauthorized`, :class:`QuotaExceeded` or
    :class:`ConnectorError` saying why."""
    try:
        response = client.get(f"{base_url(account)}/{path}", params=dict(params),
                              headers={"authorization": f"Bearer {token}", "accept": "application/json"})
    except httpx.TransportError as exc:
        raise ConnectorError(f"could not reach YouTube: {type(exc).__name__}") from None
    if response.status_code == 401:
        raise Unauthorized(f"YouTube refused the access token ({describe(response)})")
    if response.status_code >= 400:
        reason, _ = reasons(response)
        if reason in QUOTA_REASONS:
            raise QuotaExceeded(f"YouTube's daily quota is spent ({describe(response)})")
        raise ConnectorError(f"YouTube refused {path} ({describe(response)})")
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        raise ConnectorError(f"YouTube answered {path} with a body that is not JSON") from None
    if not isinstance(data, dict):
        raise ConnectorError(f"YouTube answered {path} with an unexpected body")
    return data


def insert_comment(client: httpx.Client, account: AccountContext, parent_id: str, text: str, token: str,
                   now: datetime) -> dict[str, Any]:
    """``POST /comments?part=snippet`` (50 units): a reply to the top-level comment ``parent_id``. A failure once
    the request may have reached YouTube (a timeout or a broken connection after it was written, a 5xx, a 2xx
    without the comment) is *ambiguous*: the send job then looks for the reply (:meth:`YouTubeConnector.find_sent`)
    before any new attempt."""
    body = {"snippet": {"parentId": parent_id, "textOriginal": text}}
    try:
        response = client.post(f"{base_url(account)}/comments", params={"part": "snippet"},
                               content=json.dumps(body, ensure_ascii=False).encode(),
                               headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                                        "accept": "application/json"})
    except httpx.TransportError as exc:  # sent, maybe posted: YouTube has no idempotency key (see find_sent)
        raise transport_failure(exc, "YouTube") from None
    status = response.status_code
    if status < 400:
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise SendError(f"YouTube answered {status} without the new comment's id: the reply may have been "
                            "posted", retryable=True, ambiguous=True)
        return data
    reason, _ = reasons(response)
    text_of = f"YouTube refused the reply ({describe(response)})"
    if status == 401:
        raise SendError(f"YouTube refused the access token ({describe(response)})", retryable=False,
                        unauthorized=True)
    if reason in QUOTA_REASONS:
        raise SendError(f"YouTube's daily quota is spent ({describe(response)}); the reply waits for the reset at "
                        "midnight Pacific time", retryable=True, retry_after=quota.seconds_to_reset(now))
    if status == 429 or reason in RATE_REASONS or status >= 500:
        raise SendError(text_of, retryable=True, retry_after=retry_after_seconds(response.headers, now),
                        ambiguous=status >= 500 and reason not in RATE_REASONS)
    raise SendError(text_of, retryable=False)  # 400 (too long, private parent...), 403 commentsDisabled, 404...
