"""The protocol Facebook, Instagram and WhatsApp share, checked on each of them."""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.connectors.base import AccountContext, SignatureError, UnprocessableEvent, WebhookRequest
from compris.connectors.facebook import FacebookConnector
from compris.connectors.instagram import InstagramConnector
from compris.connectors.meta import MetaConnector
from compris.connectors.meta.graph import Graph, usage_wait
from compris.connectors.whatsapp import WhatsAppConnector

from ..standin import Reply, StandIn
from .helpers import APP_SECRET, delivery, sign

CONNECTORS = [FacebookConnector(), InstagramConnector(), WhatsAppConnector()]
ACCOUNT = AccountContext(account_id=3, workspace_id=1, network="meta", external_id="",
                         secrets={"app_secret": APP_SECRET, "verify_token": "s3cret-verify"})
ids = [c.network for c in CONNECTORS]


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_hub_challenge_is_echoed(connector: MetaConnector) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "s3cret-verify"}
    response = connector.handshake(ACCOUNT, WebhookRequest("GET", {}, query, b""))
    assert response is not None and response.status_code == 200 and response.body == b"1158201444"


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_hub_challenge_with_a_wrong_token_is_refused(connector: MetaConnector) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "guess"}
    response = connector.handshake(ACCOUNT, WebhookRequest("GET", {}, query, b""))
    assert response is not None and response.status_code == 403 and b"1158201444" not in response.body


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_post_is_not_a_handshake(connector: MetaConnector) -> None:
    assert connector.handshake(ACCOUNT, delivery(b"{}")) is None


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_signature_on_escaped_unicode_raw_bytes(connector: MetaConnector) -> None:
    raw = b'{"object":"page","entry":[{"message":"\\u00c9lodie \\ud83d\\ude21 caf\\u00e9"}]}'
    connector.verify(ACCOUNT, delivery(raw))
    decoded_then_dumped = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    with pytest.raises(SignatureError) as caught:  # a signature over re-serialised JSON is not Meta's
        connector.verify(ACCOUNT, delivery(raw, sign(decoded_then_dumped)))
    assert caught.value.status_code == 403


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_uppercase_hex_signature_is_accepted(connector: MetaConnector) -> None:
    connector.verify(ACCOUNT, delivery(b"{}", "sha256=" + sign(b"{}").removeprefix("sha256=").upper()))


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_missing_signature_and_missing_secret(connector: MetaConnector) -> None:
    with pytest.raises(SignatureError) as caught:
        connector.verify(ACCOUNT, WebhookRequest("POST", {}, {}, b"{}"))
    assert caught.value.status_code == 401
    with pytest.raises(SignatureError) as caught:
        connector.verify(AccountContext(3, 1, "meta", ""), delivery(b"{}"))
    assert caught.value.status_code == 403


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
def test_other_objects_are_unprocessable(connector: MetaConnector) -> None:
    with pytest.raises(UnprocessableEvent):
        connector.parse(ACCOUNT, b'{"object": "permissions", "entry": []}')


@pytest.mark.parametrize("connector", CONNECTORS, ids=ids)
@given(body=st.binary(max_size=400), signature=st.text(max_size=80))
@settings(max_examples=60, deadline=None)
def test_random_bytes_never_verify_and_never_crash(connector: MetaConnector, body: bytes, signature: str) -> None:
    with pytest.raises(SignatureError):
        connector.verify(ACCOUNT, delivery(body, signature))
    with contextlib.suppress(UnprocessableEvent):
        connector.parse(ACCOUNT, body)


def test_business_use_case_usage_gives_the_wait() -> None:
    header = json.dumps({"104000000000001": [{"type": "pages", "call_count": 100, "total_cputime": 10,
                                              "total_time": 10, "estimated_time_to_regain_access": 7}]})
    assert usage_wait({"X-Business-Use-Case-Usage": header}) == 420
    assert usage_wait({"X-Business-Use-Case-Usage": "nonsense"}) is None


def test_graph_sends_the_token_in_a_header_and_the_appsecret_proof(api: StandIn, http: httpx.Client) -> None:
    import hashlib
    import hmac

    api.on("GET", "/v25.0/me", Reply(200, {"id": "1"}))
    Graph(http, api_base=api.base_url + "/v25.0", access_token="tok", app_secret=APP_SECRET,
          product="Facebook").call("GET", "me")
    request = api.only()
    assert request.headers["authorization"] == "Bearer tok"
    assert "access_token" not in request.query
    assert request.query["appsecret_proof"] == hmac.new(APP_SECRET.encode(), b"tok", hashlib.sha256).hexdigest()
