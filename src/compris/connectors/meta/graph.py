"""Calls to the Graph API with Meta's error shapes turned into :class:`SendError`.

A timeout or a broken connection after the request was written, and a 5xx that is not a rate limit, are
*ambiguous* (:attr:`SendError.ambiguous`): Meta may have posted the comment or message. Connection errors, 429s,
rate-limit codes and other 4xx are clear refusals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from compris.connectors.base import FetchError, SendError, retry_after_seconds, transport_failure
from compris.connectors.meta.signature import appsecret_proof
from compris.connectors.wire import error_text

DEFAULT_API_BASE = "https://graph.facebook.com/v25.0"

#: Graph error codes worth retrying later: temporary errors and rate limits (app, user, page,
#: business-use-case, WhatsApp throughput and pair rate).
RETRYABLE_CODES = frozenset({
    1, 2, 4, 17, 32, 341, 613, 1200,
    80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014,
    130429, 131000, 131016, 131048, 131056, 133004,
})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009,
                              80014, 130429, 131048, 131056})
#: WhatsApp allows about one message every 6 seconds to the same user (pair rate limit).
PAIR_RATE_WAIT = 6.0


def graph_error(response: httpx.Response) -> tuple[str, int | None, bool]:
    """(reason in Meta's words, code, is_transient) from ``{"error": {message, type, code, ...}}``."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return error_text(response.content), None, False
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return error_text(response.content), None, False
    code = error.get("code") if isinstance(error.get("code"), int) else None
    parts = [str(error.get("message") or error.get("type") or "error")]
    details = error.get("error_data")
    if isinstance(details, dict) and details.get("details"):
        parts.append(str(details["details"]))
    if error.get("error_user_msg"):
        parts.append(str(error["error_user_msg"]))
    tags = [f"code {code}"] if code is not None else []
    if error.get("error_subcode"):
        tags.append(f"subcode {error['error_subcode']}")
    reason = " — ".join(parts) + (f" [{', '.join(tags)}]" if tags else "")
    return reason, code, error.get("is_transient") is True


def usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until access comes back, from ``X-Business-Use-Case-Usage`` (minutes per business)."""
    raw = {k.lower(): v for k, v in headers.items()}.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [item.get("estimated_time_to_regain_access") for items in
               (usage.values() if isinstance(usage, dict) else []) if isinstance(items, list)
               for item in items if isinstance(item, dict)]
    waits = [float(m) for m in minutes if isinstance(m, int | float) and m > 0]
    return max(waits) * 60 if waits else None


def read_node(graph: Graph, node: str, fields: str) -> dict[str, Any]:
    """``GET /{node}?fields=…`` for a read that only informs (a post's text): a refusal is a :class:`FetchError`
    (retryable when the Graph API said so), never a send error."""
    try:
        return graph.call("GET", node, params={"fields": fields})
    except SendError as exc:
        raise FetchError(exc.reason, code="refused", retryable=exc.retryable, retry_after=exc.retry_after) from None


class Graph:
    """One account's view of the Graph API (base URL, token, optional app secret proof)."""

    def __init__(self, client: httpx.Client, *, api_base: str, access_token: str, app_secret: str | None,
                 product: str) -> None:
        self.client = client
        self.api_base = api_base.rstrip("/")
        self.access_token = access_token
        self.app_secret = app_secret
        self.product = product

    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             params: Mapping[str, str] | None = None) -> dict[str, Any]:
        query = dict(params or {})
        if self.app_secret:
            query["appsecret_proof"] = appsecret_proof(self.app_secret, self.access_token)
        headers = {"authorization": f"Bearer {self.access_token}", "accept": "application/json"}
        content = None
        if body is not None:
            headers["content-type"] = "application/json"
            content = json.dumps(body, ensure_ascii=False).encode()
        try:
            response = self.client.request(method, f"{self.api_base}/{path.lstrip('/')}", params=query,
                                           headers=headers, content=content)
        except httpx.TransportError as exc:  # ambiguous unless the request never left (connection refused)
            raise transport_failure(exc, self.product) from None
        status = response.status_code
        if status >= 400:
            reason, code, transient = graph_error(response)
            wait = retry_after_seconds(response.headers, datetime.now(UTC)) or usage_wait(response.headers)
            if code == 131056 and wait is None:
                wait = PAIR_RATE_WAIT
            limited = status == 429 or code in RATE_LIMIT_CODES
            retryable = limited or status >= 500 or transient or code in RETRYABLE_CODES
            what = "rate limit reached" if limited else f"refused the request ({status})"
            if status >= 500 and not limited:
                what = f"server error {status}"
            # a 5xx other than a rate limit may come after Meta acted on the request: never retried blindly
            raise SendError(f"{self.product} {what}: {reason}", retryable=retryable,
                            retry_after=wait if retryable else None, ambiguous=status >= 500 and not limited)
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError):
            raise SendError(f"{self.product} answered {status} with a body that is not JSON",
                            retryable=False) from None
        if not isinstance(data, dict):
            raise SendError(f"{self.product} answered {status} with an unexpected body", retryable=False)
        return data
