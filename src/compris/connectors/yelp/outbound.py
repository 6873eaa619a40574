"""Calls to Yelp's APIs with Yelp's error shape (``{"error": {"id", "description", "http_code"}}``) turned into
:class:`SendError` classified for retries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import SendError, retry_after_seconds, transport_failure
from compris.connectors.wire import error_text

#: R2R refusals that are final whatever we do (answered 400): the reason goes to the agent as Yelp worded it
QUOTA_EXCEEDED = "R2R_COMMENT_QUOTA_EXCEEDED"
QUOTA_REASON = ("Yelp allows at most 20 responses per location per business owner per day and this limit is "
                "reached: the reply was not posted. Send it again tomorrow.")
HINTS = {
    "R2R_PROBLEM_WITH_USER_PHOTO": "the business owner's Yelp account needs a profile photo (biz.yelp.com) "
    "before Yelp accepts responses through the API",
    "R2R_INVALID_RESPONSE_TEXT": "Yelp refuses empty texts, texts over 5,000 characters, foul language and a "
    "text too similar to a response already posted",
    "R2R_COMMENTS_NOT_ALLOWED": "this location does not include Yelp's respond-to-reviews feature (ask Yelp)",
    "R2R_BUSINESS_NOT_CLAIMED": "the business is not claimed on Yelp",
}


def yelp_error(response: httpx.Response) -> tuple[str, str | None]:
    """(reason in Yelp's words, error id) from ``{"error": {"id", "description"}}``."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return error_text(response.content), None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return error_text(response.content), None
    code = str(error["id"])[:80] if isinstance(error.get("id"), str) else None
    description = str(error.get("description") or code or "error")[:500]
    return (f"{description} [{code}]" if code else description), code


def request(client: httpx.Client, method: str, url: str, *, token: str, body: Mapping[str, Any] | None = None,
            params: Mapping[str, str] | None = None, product: str = "Yelp") -> Any:
    """One call with a Bearer token; returns the JSON answer (None for an empty body), raises
    :class:`SendError`: 429 and 5xx retryable (with Yelp's wait when it gives one), 401 ``unauthorized``
    (an expired access token is renewed once), any other refusal final with Yelp's description. A ``POST`` (a
    response) that failed once it may have reached Yelp (a timeout or a broken connection after the request was
    written, a 5xx, an unreadable 2xx) is *ambiguous*: the response may be on Yelp."""
    writes = method.upper() not in ("GET", "HEAD")
    headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
    content = None
    if body is not None:
        headers["content-type"] = "application/json"
        content = json.dumps(body, ensure_ascii=False).encode()
    try:
        response = client.request(method, url, params=params, headers=headers, content=content)
    except httpx.TransportError as exc:
        failure = transport_failure(exc, product)
        if failure.ambiguous and not writes:  # a read changed nothing
            failure = SendError(f"the call to {product} failed: {type(exc).__name__}", retryable=True)
        raise failure from None
    status = response.status_code
    if status >= 400:
        reason, code = yelp_error(response)
        wait = retry_after_seconds(response.headers, datetime.now(UTC))
        if status == 429:
            raise SendError(f"{product} rate limit reached: {reason}", retryable=True, retry_after=wait)
        if status >= 500:
            raise SendError(f"{product} server error {status}: {reason}", retryable=True, retry_after=wait,
                            ambiguous=writes)
        if status == 401:
            raise SendError(f"{product} refused our credentials (401): {reason}", retryable=False,
                            unauthorized=True)
        if code == QUOTA_EXCEEDED:
            raise SendError(f"{QUOTA_REASON} ({reason})", retryable=False)
        hint = HINTS.get(code or "")
        raise SendError(f"{product} refused the request ({status}): {reason}" + (f" — {hint}" if hint else ""),
                        retryable=False)
    if not response.content.strip():
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise SendError(f"{product} answered {status} with a body that is not JSON", retryable=writes,
                        ambiguous=writes) from None
