"""Pub/Sub push authentication: the Google-signed JWT checked against the JWKS (a stand-in serving a test key),
with its cache, and every way a token fails (nothing is stored: SignatureError)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from compris.connectors import fixture_bytes
from compris.connectors.base import SignatureError, WebhookRequest
from compris.connectors.google import GoogleReviewsConnector, pubsub

from ..standin import Reply, StandIn
from .helpers import JWKS_PATH, KID, account, push, rsa_key, serve_jwks, token

CONNECTOR = GoogleReviewsConnector()


def test_a_google_signed_push_checks(api: StandIn) -> None:
    serve_jwks(api)
    CONNECTOR.verify(account(api), push())
    CONNECTOR.verify(account(api), push(bearer=token(iss="accounts.google.com")))  # both issuers Google uses
    assert len(api.requests) == 1  # the keys were fetched once and cached


@pytest.mark.parametrize("overrides,status,words", [
    ({"aud": "https://elsewhere.example/push"}, 403, "not for this account"),
    ({"email": "someone@evil.iam.gserviceaccount.com"}, 403, "another service account"),
    ({"email_verified": False}, 403, "not verified"),
    ({"email_verified": None}, 403, "not verified"),
    ({"iss": "https://evil.example.com"}, 401, "not issued by Google"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, 401, "expired"),
    ({"exp": None}, 401, "required claim"),
    ({"key": rsa_key(1)}, 401, "does not check"),  # signed with another key under Google's key id
    ({"kid": "unknown-kid"}, 401, "does not publish"),
])
def test_bad_tokens_are_refused(api: StandIn, overrides: dict[str, object], status: int, words: str) -> None:
    serve_jwks(api)
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(api), push(bearer=token(**overrides)))
    assert caught.value.status_code == status and words in caught.value.reason


def test_hs256_and_unsigned_tokens_are_refused(api: StandIn) -> None:
    serve_jwks(api)
    forged = token(key="a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    with pytest.raises(SignatureError, match="RS256"):
        CONNECTOR.verify(account(api), push(bearer=forged))
    for bearer in ("not-a-jwt", "a.b.c"):
        with pytest.raises(SignatureError):
            CONNECTOR.verify(account(api), push(bearer=bearer))


def test_missing_token_or_settings(api: StandIn) -> None:
    serve_jwks(api)
    body = fixture_bytes("google", "push_new_review.json")
    with pytest.raises(SignatureError, match="no bearer token") as caught:
        CONNECTOR.verify(account(api), WebhookRequest("POST", {}, {}, body))
    assert caught.value.status_code == 401
    with pytest.raises(SignatureError, match="not set up") as caught:
        CONNECTOR.verify(account(api, push_audience=""), push())
    assert caught.value.status_code == 403
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(api), WebhookRequest("GET", {}, {}, b""))
    assert caught.value.status_code == 405
    assert api.requests == []  # nothing fetched for a request refused before the token


def test_keys_unreachable_is_a_503_and_nothing_is_cached(api: StandIn) -> None:
    api.on("GET", JWKS_PATH, Reply(500, {"error": "backend"}), Reply(200, {"keys": []}))
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(api), push())
    assert caught.value.status_code == 503  # Pub/Sub redelivers later
    with pytest.raises(SignatureError, match="does not publish"):
        CONNECTOR.verify(account(api), push())  # fetched again: the failure was not cached
    api.on("GET", JWKS_PATH, Reply(200, body=b"<html>"))
    pubsub.clear_cache()
    with pytest.raises(SignatureError, match="unexpected shape"):
        CONNECTOR.verify(account(api), push())


def test_key_rotation_and_cache_expiry(api: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(pubsub, "clock", lambda: now[0])
    serve_jwks(api, max_age=600)
    CONNECTOR.verify(account(api), push())
    # Google rotates: a token under a new key id makes us fetch again, but at most once a minute
    serve_jwks(api, (KID, rsa_key()), ("new-kid", rsa_key(2)), max_age=600)
    now[0] += 10
    with pytest.raises(SignatureError, match="does not publish"):
        CONNECTOR.verify(account(api), push(bearer=token(kid="new-kid", key=rsa_key(2))))
    assert len(api.requests) == 1
    now[0] += 60
    CONNECTOR.verify(account(api), push(bearer=token(kid="new-kid", key=rsa_key(2))))
    assert len(api.requests) == 2
    CONNECTOR.verify(account(api), push())
    assert len(api.requests) == 2  # cached
    now[0] += 601  # max-age passed: fetched again
    CONNECTOR.verify(account(api), push())
    assert len(api.requests) == 3


def test_event_id_is_the_pubsub_message_id() -> None:
    request = push()
    assert CONNECTOR.event_id(account(), request) == "pubsub:11735480081457230"
    garbage = push(body=b'{"message": 3}')
    assert CONNECTOR.event_id(account(), garbage).startswith("sha256:")


def test_read_push_accepts_urlsafe_and_unpadded_data() -> None:
    data = base64.urlsafe_b64encode(json.dumps({"type": "NEW_REVIEW", "review": "x>?"}).encode()).decode()
    body = json.dumps({"message": {"data": data.rstrip("="), "messageId": "1"}}).encode()
    assert pubsub.read_push(body).data["review"] == "x>?"
