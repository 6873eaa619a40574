"""Calls to a Mastodon instance's REST API; Mastodon's error and rate-limit shapes → :class:`SendError`.

Mastodon answers errors as ``{"error": "..."}`` (422: ``"Validation failed: Text character limit of 500
exceeded"``), limits each account to 300 requests per 5 minutes and says when the window resets in
``X-RateLimit-Reset`` (an ISO-8601 time), which :func:`~compris.connectors.base.retry_after_seconds` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import SendError, retry_after_seconds, transport_failure
from compris.connectors.wire import error_text


def reason(response: httpx.Response) -> str:
    """Mastodon's own words: ``error`` (and ``error_description`` for OAuth errors), else the body's start."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return error_text(response.content)
    if isinstance(data, dict):
        texts = [str(data[k]) for k in ("error", "error_description") if isinstance(data.get(k), str)]
        if texts:
            return ": ".join(texts)[:500]
    return error_text(response.content)


def raise_for(response: httpx.Response, what: str = "Mastodon", *, writes: bool = False) -> None:
    """Raise the :class:`SendError` a non-2xx answer means (nothing for a 2xx). ``writes``: the call creates
    something (a status), so a 5xx is *ambiguous*: the instance may have created it before failing."""
    status = response.status_code
    if 200 <= status < 300:
        return
    now = datetime.now(UTC)
    if status == 429:
        raise SendError(f"{what} rate limit reached (300 requests per 5 minutes): {reason(response)}",
                        retryable=True, retry_after=retry_after_seconds(response.headers, now))
    if status >= 500:
        raise SendError(f"{what} server error {status}: {reason(response)}", retryable=True,
                        retry_after=retry_after_seconds(response.headers, now), ambiguous=writes)
    if status == 401:
        raise SendError(f"{what} refused the access token (401): {reason(response)}; create a new one and "
                        "update the account", retryable=False, unauthorized=True)
    if status == 403:
        raise SendError(f"{what} refused (403): {reason(response)} — does the token have the write:statuses "
                        "scope, and is the account not suspended?", retryable=False)
    if status == 404:
        raise SendError(f"{what} does not know this (404): {reason(response)} — the status answered may have "
                        "been deleted", retryable=False)
    if status == 422:
        raise SendError(f"{what} refused the status (422): {reason(response)}", retryable=False)
    raise SendError(f"{what} answered {status}: {reason(response)}", retryable=False)


def request(client: httpx.Client, method: str, url: str, *, token: str, body: Mapping[str, Any] | None = None,
            params: Any = None, headers: Mapping[str, str] | None = None,
            timeout: float | None = None) -> httpx.Response:
    """One call; returns the (2xx) response, raises :class:`SendError` classified for retries. A ``POST`` that
    failed once the request may have reached the instance (a timeout or a broken connection after it was written, a
    5xx) raises an *ambiguous* error."""
    writes = method.upper() not in ("GET", "HEAD")
    sent = {"authorization": f"Bearer {token}", "accept": "application/json", **(headers or {})}
    if body is not None:
        sent["content-type"] = "application/json"
    try:
        response = client.request(
            method, url, params=params, headers=sent,
            content=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
            timeout=timeout if timeout else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TransportError as exc:
        failure = transport_failure(exc, "the Mastodon instance")
        if failure.ambiguous and not writes:  # a read changed nothing
            failure = SendError(f"the call to the Mastodon instance failed: {type(exc).__name__}", retryable=True)
        raise failure from None
    raise_for(response, writes=writes)
    return response


def json_of(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise SendError(f"Mastodon answered {what} with something that is not JSON", retryable=True) from None
