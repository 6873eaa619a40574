"""Signed public links to an uploaded file, for networks that fetch attachments by URL (Meta, WhatsApp...).

``/media/<token>``: the token names the workspace and the upload, carries an expiry, and is signed with a key
derived from ``COMPRIS_SECRET_KEY`` (HMAC-SHA256). Nobody can guess one, change what it names, or stretch its
life. The expiry is anchored on the reply's queue time, so every retry of one reply gives the network the
same address (a network that de-duplicates by our idempotency key sees the same request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

PREFIX = "/media/"


@dataclass(frozen=True)
class MediaRef:
    workspace_id: int
    upload_id: int
    expires_at: datetime


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"compris-media-links:" + secret_key.encode()).digest()


def _sign(secret_key: str, message: str) -> str:
    mac = hmac.new(_key(secret_key), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def token(secret_key: str, workspace_id: int, upload_id: int, expires_at: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be aware")
    message = f"{int(workspace_id)}.{int(upload_id)}.{int(expires_at.timestamp())}"
    return f"{message}.{_sign(secret_key, message)}"


def url(base_url: str, secret_key: str, workspace_id: int, upload_id: int, expires_at: datetime,
        name: str | None = None) -> str:
    """The absolute public address (the file name at the end is for the network's display only)."""
    tail = f"/{quote(name, safe='')}" if name else ""
    return f"{base_url.rstrip('/')}{PREFIX}{token(secret_key, workspace_id, upload_id, expires_at)}{tail}"


def verify(secret_key: str, value: str, now: datetime) -> MediaRef | None:
    """What a token names, or None when it is malformed, tampered with or expired."""
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    message = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3].encode(), _sign(secret_key, message).encode()):
        return None
    expires = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    if now >= expires:
        return None
    return MediaRef(workspace_id=int(parts[0]), upload_id=int(parts[1]), expires_at=expires)
