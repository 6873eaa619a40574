"""Shared by the Google reviews tests: an RSA key standing in for Google's, its JWKS served by a stand-in, push
requests signed with it, and account contexts."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import AccountContext, WebhookRequest

from ..standin import Reply, StandIn

LOCATION = "accounts/114800000000000000001/locations/8412000000000000001"
REVIEW = LOCATION + "/reviews/AbFvOqnXq4sF2eQm_Hk3bW1"
AUDIENCE = "https://compris.example.com/webhooks/12"
SERVICE_ACCOUNT = "compris-push@compris-reviews.iam.gserviceaccount.com"
KID = "7d680d8c70d44e947133cbd499ebc1a61c3d5abc"
JWKS_PATH = "/oauth2/v3/certs"


@lru_cache(maxsize=4)
def rsa_key(seed: int = 0) -> rsa.RSAPrivateKey:
    """A fresh RSA key per seed (generated once per test run)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(*keys: tuple[str, rsa.RSAPrivateKey]) -> dict[str, Any]:
    found = []
    for kid, key in keys:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        found.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": found}


def serve_jwks(api: StandIn, *keys: tuple[str, rsa.RSAPrivateKey], max_age: int = 21600) -> None:
    api.on("GET", JWKS_PATH, Reply(200, jwks(*(keys or ((KID, rsa_key()),))),
                                   headers={"cache-control": f"public, max-age={max_age}, must-revalidate"}))


def token(**overrides: Any) -> str:
    """A push token as Pub/Sub signs it (the recorded claims, now-dated), signed with the test key."""
    key = overrides.pop("key", rsa_key())
    kid = overrides.pop("kid", KID)
    algorithm = overrides.pop("algorithm", "RS256")
    now = int(time.time())
    claims = {**fixture("google", "push_token_claims.json"), "aud": AUDIENCE, "email": SERVICE_ACCOUNT,
              "iat": now, "exp": now + 3600, **overrides}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def push(body: bytes | None = None, bearer: str | None = None) -> WebhookRequest:
    body = fixture_bytes("google", "push_new_review.json") if body is None else body
    headers = {"content-type": "application/json", "authorization": f"Bearer {bearer or token()}"}
    return WebhookRequest(method="POST", headers=headers, query={}, body=body)


def account(api: StandIn | None = None, **settings: Any) -> AccountContext:
    base = api.base_url if api else "http://127.0.0.1:9"
    values = {"client_id": "cid.apps.googleusercontent.com", "location_title": "Hôtel Compris Nice",
              "push_audience": AUDIENCE, "push_service_account": SERVICE_ACCOUNT, "api_base": base,
              "token_url": f"{base}/token", "jwks_url": f"{base}{JWKS_PATH}", **settings}
    return AccountContext(account_id=12, workspace_id=1, network="google", external_id=LOCATION,
                          settings={k: v for k, v in values.items() if v is not None},
                          secrets={"client_secret": "gcs", "refresh_token": "1//rt", "access_token": "ya29.old"})
