"""Meta webhook security: the ``hub.challenge`` handshake and ``X-Hub-Signature-256`` (hex HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from compris.connectors.base import SignatureError, WebhookResponse

HEADER = "x-hub-signature-256"


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def hub_challenge(query: Mapping[str, str], verify_token: str | None) -> WebhookResponse | None:
    """Answer ``GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…``; None when it is not one."""
    if "hub.challenge" not in query and "hub.mode" not in query:
        return None
    given = query.get("hub.verify_token", "")
    if (query.get("hub.mode") != "subscribe" or not verify_token
            or not hmac.compare_digest(given.encode(), verify_token.encode())):
        return WebhookResponse(403, b"verify token mismatch", "text/plain")
    return WebhookResponse(200, query.get("hub.challenge", "").encode(), "text/plain")


def verify(headers: Mapping[str, str], body: bytes, app_secret: str | None) -> None:
    """Check ``X-Hub-Signature-256`` against the raw bytes (Meta signs the escaped-unicode body as sent)."""
    if not app_secret:
        raise SignatureError("no Meta app secret is configured for this account", 403)
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(HEADER)
    if not given:
        raise SignatureError("missing X-Hub-Signature-256 header", 401)
    if not hmac.compare_digest(given.strip().lower().encode(), sign(app_secret, body).encode()):
        raise SignatureError("X-Hub-Signature-256 does not match", 403)


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """The ``appsecret_proof`` parameter Graph requires when "Require App Secret" is on."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
