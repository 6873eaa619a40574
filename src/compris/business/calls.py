"""The HTTP call of one run to the brand's endpoint, and what its answer means. No database.

The request is ``POST <endpoint>`` with the JSON body of :func:`request_body` and the headers of
:func:`request_headers`: ``Compris-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``
(:func:`compris.kit.signing.request_signature` with the action's signing secret), ``Idempotency-Key`` (the run's
key, the same on every attempt), ``Content-Type: application/json`` and ``User-Agent``.

The answer (:func:`classify`):

* 2xx with a JSON object: **succeeded**, the object's fields are the result;
* 2xx with anything else: **failed** (the brand's system broke the contract; nothing is retried);
* 4xx (except 408, 425 and 429): **failed** for good, with the error the body gives (``error``, ``message`` or
  ``detail``, else the body itself), truncated;
* 408, 425, 429, 5xx, a connection error or a timeout: **retry** with the same body and key, after a backoff.

The idempotency contract: the brand's endpoint MUST de-duplicate on ``Idempotency-Key`` (run the business effect
once per key, and answer a repeated key with the first answer). Compris may send the same key more than once
(a timeout whose request did arrive, a worker that died mid-call), never a different key for the same run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from compris.kit.signing import SIGNATURE_HEADER, request_signature

USER_AGENT = "Compris-BusinessActions/1.0"
MAX_ERROR = 500
MAX_RESULT_FIELDS = 50
MAX_RESULT_CHARS = 20_000
RETRYABLE_4XX = (408, 425, 429)

Outcome = Literal["succeeded", "failed", "retry"]


@dataclass(frozen=True)
class CallResult:
    outcome: Outcome
    status: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def request_body(*, action_key: str, run_id: int, case: dict[str, Any], input: dict[str, Any],
                 requested_by: dict[str, Any]) -> bytes:
    """The raw JSON body: built once per run and sent byte for byte on every attempt."""
    return json.dumps({"action": action_key, "run_id": run_id, "case": case, "input": input,
                       "requested_by": requested_by}, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def request_headers(*, secret: str, body: bytes, idempotency_key: str, timestamp: int) -> dict[str, str]:
    return {
        SIGNATURE_HEADER: request_signature(secret, body, timestamp),
        "Idempotency-Key": idempotency_key,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _error_text(response: httpx.Response) -> str:
    text = response.text.strip()
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    text = text or f"HTTP {response.status_code}"
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def _result(data: dict[str, Any]) -> dict[str, Any]:
    """The fields kept from a success answer: at most :data:`MAX_RESULT_FIELDS`, JSON values as they came."""
    kept = dict(list(data.items())[:MAX_RESULT_FIELDS])
    if len(json.dumps(kept, default=str)) > MAX_RESULT_CHARS:
        kept = {k: v for k, v in kept.items() if isinstance(v, str | int | float | bool) and len(str(v)) <= 500}
    return kept


def classify(response: httpx.Response) -> CallResult:
    status = response.status_code
    if 200 <= status < 300:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return CallResult("failed", status, error="the endpoint answered without a JSON object")
        return CallResult("succeeded", status, result=_result(data))
    if status in RETRYABLE_4XX or status >= 500:
        return CallResult("retry", status, error=_error_text(response))
    return CallResult("failed", status, error=_error_text(response))


def call(client: httpx.Client, *, url: str, body: bytes, secret: str, idempotency_key: str, timestamp: int,
         timeout: float) -> CallResult:
    """POST the run's body to the endpoint, signed, with a clean timeout (connect, read and write)."""
    headers = request_headers(secret=secret, body=body, idempotency_key=idempotency_key, timestamp=timestamp)
    try:
        response = client.post(url, content=body, headers=headers, timeout=httpx.Timeout(timeout),
                               follow_redirects=False)
    except httpx.TimeoutException:
        return CallResult("retry", error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return CallResult("retry", error=f"connection failed: {type(exc).__name__}")
    return classify(response)
