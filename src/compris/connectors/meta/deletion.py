"""Meta's Data Deletion Request Callback: the ``signed_request`` a person's "remove this app and delete my data"
sends, and the answer Meta expects.

Meta POSTs ``application/x-www-form-urlencoded`` with one field, ``signed_request``: two base64url parts (no padding)
joined by a dot, ``<signature>.<payload>``. The payload is JSON (``{"algorithm": "HMAC-SHA256", "issued_at":
1700000000, "expires": 1700003600, "user_id": "1234567890"}``: ``user_id`` is the app-scoped id of the person), the
signature is the HMAC-SHA256 of the *encoded* payload (the base64url text as sent) keyed with the app secret.
The answer is JSON ``{"url": "<status page>", "confirmation_code": "<code>"}``.

Pure protocol code: nothing here touches the database (``compris.privacy`` finds and erases the person).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ALGORITHM = "HMAC-SHA256"
#: a signed request older than this (``issued_at``) is refused even without ``expires`` (a replayed one)
MAX_AGE_SECONDS = 7 * 24 * 3600
#: longer than any real signed request: refused before decoding
MAX_LENGTH = 8192


class SignedRequestError(ValueError):
    """The signed request is malformed, forged or expired: answer 400 (never act on it)."""


@dataclass(frozen=True)
class DeletionRequest:
    """A verified request: ``user_id`` is the person's app-scoped id."""

    user_id: str
    issued_at: datetime | None
    expires: datetime | None


def _b64decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignedRequestError("not base64url") from exc


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(app_secret: str, payload: dict[str, Any]) -> str:
    """A ``signed_request`` for ``payload``, as Meta builds it (used by the tests and the demo)."""
    encoded = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(app_secret.encode(), encoded.encode("ascii"), hashlib.sha256).digest()
    return f"{_b64encode(signature)}.{encoded}"


def _time(value: Any) -> datetime | None:
    if value is None or value == 0 or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise SignedRequestError("a timestamp is not a number") from exc


def parse(signed_request: str, app_secret: str | None, *, at: datetime | None = None) -> DeletionRequest:
    """Verify and read a ``signed_request``; raises :class:`SignedRequestError` when it is malformed, signed with
    another secret, expired (``expires`` passed, or issued more than :data:`MAX_AGE_SECONDS` ago) or names no user.
    """
    if not app_secret:
        raise SignedRequestError("no app secret is configured for this account")
    if not isinstance(signed_request, str) or not signed_request or len(signed_request) > MAX_LENGTH:
        raise SignedRequestError("missing signed_request")
    parts = signed_request.strip().split(".")
    if len(parts) != 2 or not all(parts):
        raise SignedRequestError("a signed_request is <signature>.<payload>")
    encoded_signature, encoded_payload = parts
    if not encoded_payload.isascii():
        raise SignedRequestError("not base64url")
    signature = _b64decode(encoded_signature)
    expected = hmac.new(app_secret.encode(), encoded_payload.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise SignedRequestError("the signature does not match")
    try:
        payload = json.loads(_b64decode(encoded_payload))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignedRequestError("the payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise SignedRequestError("the payload is not an object")
    if str(payload.get("algorithm", "")).upper() != ALGORITHM:
        raise SignedRequestError("unknown algorithm")
    user_id = payload.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)) or not str(user_id).strip():
        raise SignedRequestError("no user_id")
    now = at or datetime.now(UTC)
    issued_at, expires = _time(payload.get("issued_at")), _time(payload.get("expires"))
    if expires is not None and expires < now:
        raise SignedRequestError("the signed request expired")
    if issued_at is not None and (now - issued_at).total_seconds() > MAX_AGE_SECONDS:
        raise SignedRequestError("the signed request is too old")
    return DeletionRequest(user_id=str(user_id).strip()[:200], issued_at=issued_at, expires=expires)


def answer(status_url: str, confirmation_code: str) -> dict[str, str]:
    """The JSON body Meta expects back."""
    return {"url": status_url, "confirmation_code": confirmation_code}


#: the networks whose accounts hold a Meta app secret (one app may serve several of them)
NETWORKS = ("facebook", "instagram", "whatsapp")
