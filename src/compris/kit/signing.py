"""Signatures Compris puts on what leaves it, and on the links it hands to people without an account.

Two things, both HMAC-SHA256:

* **Request signatures** on outgoing HTTP calls (business actions, outgoing webhooks). The header is
  ``Compris-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` with the endpoint's own
  secret, as Stripe and Slack do: the receiver recomputes it over the raw body it read, compares in constant
  time and refuses a timestamp more than five minutes away from its clock (replays). :func:`verify_request` is
  the reference implementation (the docs give the same check in a few lines of Python and JavaScript).
* **Form tokens** for the pages a link opens without a login (no session, so no session CSRF token): an HMAC of
  what the link names, for one purpose (:func:`form_token`, :func:`form_token_ok`).
* **Link tokens** for the partner portal and the survey page: ``<payload>.<signature>`` where the payload is
  URL-safe base64 of a small JSON object (what the link names, its purpose, its expiry). Nobody can forge one,
  change what it names, use one purpose's link for another, or stretch its life; revocation is the caller's
  (a link names a row, and the row says whether it was revoked).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

SIGNATURE_HEADER = "Compris-Signature"
TIMESTAMP_TOLERANCE_SECONDS = 300


def request_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Compris-Signature`` header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={int(timestamp)},v1={mac}"


def verify_request(secret: str, header: str | None, body: bytes, now: datetime,
                   tolerance: int = TIMESTAMP_TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` is a valid signature of ``body`` by ``secret``, made within ``tolerance`` seconds."""
    if not header:
        return False
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    stamps = fields.get("t", [])
    # ASCII digits only ("²".isdigit() is true, int("²") fails), and a sane length (a huge number overflows a float)
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()) or len(stamps[0]) > 12:
        return False
    timestamp = int(stamps[0])
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = request_signature(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected.encode(), given.encode()) for given in fields.get("v1", []))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _link_key(secret_key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"compris-links:{purpose}:".encode() + secret_key.encode()).digest()


def link_token(secret_key: str, purpose: str, payload: dict[str, Any], expires_at: datetime) -> str:
    """A signed, expiring token naming ``payload`` (small JSON-able ids) for one ``purpose``."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be aware")
    body = _b64(json.dumps({**payload, "exp": int(expires_at.timestamp())}, separators=(",", ":"),
                           sort_keys=True).encode())
    mac = hmac.new(_link_key(secret_key, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac[:24])}"


class LinkError(ValueError):
    """A link token that is malformed or tampered with (``expired`` False), or past its expiry (True)."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def read_link_token(secret_key: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """What a token names; raises :class:`LinkError` when it is malformed, tampered with, for another purpose
    or expired."""
    body, sep, signature = token.partition(".")
    if not sep or not body or not signature or len(token) > 2000:
        raise LinkError("malformed link")
    mac = hmac.new(_link_key(secret_key, purpose), body.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_b64(mac[:24]).encode(), signature.encode()):
        raise LinkError("invalid signature")
    try:
        data = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        raise LinkError("malformed link") from None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
        raise LinkError("malformed link")
    if now >= datetime.fromtimestamp(data["exp"], tz=UTC):
        raise LinkError("expired", expired=True)
    return data


def form_token(secret_key: str, purpose: str, subject: str) -> str:
    """The anti-forgery token of a form on a page without a login: an HMAC of ``subject`` (what the page's link
    names) for ``purpose``; another site cannot make one without the link itself."""
    key = hashlib.sha256(f"compris-{purpose}-form:".encode() + secret_key.encode()).digest()
    return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:40]


def form_token_ok(secret_key: str, purpose: str, subject: str, given: str | None) -> bool:
    """Whether ``given`` is the form token of ``subject`` (constant time)."""
    return bool(given) and hmac.compare_digest(form_token(secret_key, purpose, subject).encode(),
                                               str(given).encode())
