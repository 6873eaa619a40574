"""X webhook security: the CRC challenge and the delivery signatures (base64 HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from compris.connectors.base import SignatureError

OAUTH2_HEADER = "x-twitter-webhooks-signature-oauth2"  # keyed with the OAuth2 client secret
LEGACY_HEADER = "x-twitter-webhooks-signature"  # keyed with the OAuth1 consumer secret


def sign(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response_token(secret: str, crc_token: str) -> str:
    return sign(secret, crc_token.encode())


def verify_signatures(headers: Mapping[str, str], body: bytes, *, consumer_secret: str | None,
                      client_secret: str | None) -> None:
    """Check every signature header whose secret is configured; at least one must be present.

    A header that is present but wrong fails the delivery even when the other one is right.
    """
    pairs = [(OAUTH2_HEADER, client_secret), (LEGACY_HEADER, consumer_secret)]
    configured = [(header, secret) for header, secret in pairs if secret]
    if not configured:
        raise SignatureError("no X client secret or consumer secret is configured for this account", 403)
    checked = 0
    for header, secret in configured:
        given = headers.get(header)
        if given is None:
            continue
        if not hmac.compare_digest(given.strip().encode(), sign(secret, body).encode()):
            raise SignatureError(f"the {header} signature does not match", 403)
        checked += 1
    if not checked:
        names = " or ".join(header for header, _ in configured)
        raise SignatureError(f"missing signature header ({names})", 401)
