"""Calls to the X API v2: replies, DMs, replay requests; X's error and rate-limit shapes → SendError.

A timeout or a broken connection after the request was written, and any 5xx, are *ambiguous* (X may have created
the post): the send job then looks for it (:mod:`compris.connectors.x.lookup`) before sending again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from compris.connectors.base import SendError, retry_after_seconds, transport_failure
from compris.connectors.wire import error_text

REPLAY_MAX_SPAN = timedelta(hours=24)


def x_reason(response: httpx.Response) -> str:
    """X's own words: ``detail``/``title`` (problem+json) or ``errors[].message``/``detail``."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return error_text(response.content)
    if isinstance(data, dict):
        for key in ("detail", "title", "error_description", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
        errors = data.get("errors")
        if isinstance(errors, list):
            texts = [str(e.get("message") or e.get("detail") or e.get("title"))
                     for e in errors if isinstance(e, dict)]
            if texts:
                return "; ".join(texts)
    return error_text(response.content)


def request(client: httpx.Client, method: str, url: str, *, token: str, body: Mapping[str, Any] | None = None,
            params: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One call; returns the JSON object, raises :class:`SendError` classified for retries."""
    try:
        response = client.request(
            method, url, params=params,
            content=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                     "accept": "application/json"},
        )
    except httpx.TransportError as exc:  # ambiguous unless the request never left (connection refused)
        raise transport_failure(exc, "X") from None
    now = datetime.now(UTC)
    status = response.status_code
    if status == 429:
        raise SendError(f"X rate limit reached: {x_reason(response)}", retryable=True,
                        retry_after=retry_after_seconds(response.headers, now))
    if status >= 500:  # X may have created the post before failing: never retried blindly
        raise SendError(f"X server error {status}: {x_reason(response)}", retryable=True,
                        retry_after=retry_after_seconds(response.headers, now), ambiguous=True)
    if status == 401:
        raise SendError(f"X refused our credentials (401): {x_reason(response)}", retryable=False, unauthorized=True)
    if status >= 400:
        raise SendError(f"X refused the request ({status}): {x_reason(response)}", retryable=False)
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        raise SendError(f"X answered {status} with a body that is not JSON", retryable=False) from None
    if not isinstance(data, dict):
        raise SendError(f"X answered {status} with an unexpected body", retryable=False)
    if "data" not in data and data.get("errors"):
        raise SendError(f"X refused the request: {x_reason(response)}", retryable=False)
    return data


def replay_window(start: datetime, end: datetime) -> tuple[str, str]:
    """``from_date``/``to_date`` for ``POST /2/webhooks/replay`` (UTC ``yyyymmddhhmm``, at most 24 h)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("replay times must be timezone-aware")
    if end <= start:
        raise ValueError("the replay window must end after it starts")
    if end - start > REPLAY_MAX_SPAN:
        raise ValueError("X replays at most 24 hours per request")
    return start.astimezone(UTC).strftime("%Y%m%d%H%M"), end.astimezone(UTC).strftime("%Y%m%d%H%M")
