from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import (
    AccountContext,
    Author,
    OutboundMessage,
    SendError,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
)
from compris.connectors.x import XConnector

from ..standin import Reply, StandIn

BRAND = "1450000000000000001"
CONNECTOR = XConnector()
SECRETS = {"oauth2_client_secret": "client-secret", "consumer_secret": "consumer-secret",
           "user_access_token": "user-token", "app_bearer_token": "app-token"}


def account(**settings_: Any) -> AccountContext:
    return AccountContext(account_id=7, workspace_id=1, network="x", external_id=BRAND,
                          settings={"handle": "AirCompris", "webhook_id": "1146654567674912769", **settings_},
                          secrets=SECRETS)


def sig(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    if headers is None:
        headers = {"x-twitter-webhooks-signature-oauth2": sig("client-secret", body),
                   "x-twitter-webhooks-signature": sig("consumer-secret", body)}
    return WebhookRequest(method="POST", headers=headers, query={}, body=body)


# --- CRC and signatures ------------------------------------------------------------------------

def test_crc_answers_with_the_documented_token() -> None:
    request = WebhookRequest(method="GET", headers={}, query={"crc_token": "abc123"}, body=b"")
    response = CONNECTOR.handshake(account(), request)
    assert response is not None and response.status_code == 200
    expected = base64.b64encode(hmac.new(b"consumer-secret", b"abc123", hashlib.sha256).digest()).decode()
    assert json.loads(response.body) == {"response_token": f"sha256={expected}"}


def test_crc_with_only_the_oauth2_secret() -> None:
    only = AccountContext(7, 1, "x", BRAND, secrets={"oauth2_client_secret": "client-secret"})
    response = CONNECTOR.handshake(only, WebhookRequest("GET", {}, {"crc_token": "t"}, b""))
    assert response is not None
    assert json.loads(response.body)["response_token"] == sig("client-secret", b"t")


def test_a_post_is_not_a_handshake() -> None:
    assert CONNECTOR.handshake(account(), delivery(b"{}")) is None


def test_both_signatures_verify() -> None:
    CONNECTOR.verify(account(), delivery(fixture_bytes("x", "mention_fr.json")))


@pytest.mark.parametrize("header,secret", [("x-twitter-webhooks-signature-oauth2", "client-secret"),
                                           ("x-twitter-webhooks-signature", "consumer-secret")])
def test_either_signature_alone_verifies(header: str, secret: str) -> None:
    body = fixture_bytes("x", "dm_received.json")
    CONNECTOR.verify(account(), delivery(body, {header: sig(secret, body)}))


def test_one_wrong_signature_fails_even_if_the_other_is_right() -> None:
    body = fixture_bytes("x", "mention_fr.json")
    headers = {"x-twitter-webhooks-signature-oauth2": sig("client-secret", body),
               "x-twitter-webhooks-signature": sig("wrong", body)}
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(), delivery(body, headers))
    assert caught.value.status_code == 403


def test_missing_signature_is_401() -> None:
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(), delivery(b"{}", {}))
    assert caught.value.status_code == 401


def test_signature_of_re_serialised_json_does_not_verify() -> None:
    body = fixture_bytes("x", "mention_fr.json")
    reserialised = json.dumps(json.loads(body)).encode()  # escapes the accents and emoji
    with pytest.raises(SignatureError):
        CONNECTOR.verify(account(), delivery(body, {"x-twitter-webhooks-signature-oauth2":
                                                    sig("client-secret", reserialised)}))


def test_no_secret_configured_refuses() -> None:
    bare = AccountContext(7, 1, "x", BRAND)
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(bare, delivery(b"{}"))
    assert caught.value.status_code == 403


def test_event_id_is_the_event_uuid() -> None:
    body = fixture_bytes("x", "mention_fr.json")
    assert CONNECTOR.event_id(account(), delivery(body)) == "8d3e1c7a-5c2b-4f0e-9a51-7b1f0c2d9e01"
    assert CONNECTOR.event_id(account(), delivery(b"not json")).startswith("sha256:")


# --- parsing ----------------------------------------------------------------------------------

def test_mention_in_french() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("x", "mention_fr.json"))
    (message,) = parsed.messages
    assert message.platform_message_id == "1890000000000000101"
    assert message.thread_key == "1890000000000000101"
    assert message.visibility is Visibility.PUBLIC
    assert message.text.startswith("@AirCompris mon vol AF1234 est annulé 😡")
    assert message.created_at == datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
    assert message.author.handle == "elodie_m" and message.author.name == "Élodie Marchand"
    assert message.author.followers == 15230 and message.author.verified
    assert message.reshares == 4
    assert message.permalink == "https://x.com/elodie_m/status/1890000000000000101"
    assert message.extra["summoned"] is True and message.extra["summoned_by"] == "mention"
    assert message.extra["event_uuid"] == "8d3e1c7a-5c2b-4f0e-9a51-7b1f0c2d9e01"
    assert not message.is_own


def test_reply_with_media_and_conversation() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("x", "reply_en_media.json")).messages
    assert message.reply_to_platform_id == "1890000000000000190"
    assert message.thread_key == "1890000000000000150"
    assert message.extra["conversation_id"] == "1890000000000000150"
    assert message.extra["in_reply_to_user_id"] == BRAND
    assert message.author.verified and message.author.followers == 98211
    assert message.attachments[0].kind == "image"
    assert message.attachments[0].url == "https://pbs.twimg.com/media/suitcase.jpg"
    assert message.extra["summoned"] is True


def test_reply_without_mention_is_not_summoned() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("x", "reply_not_summoned.json")).messages
    assert message.reply_to_platform_id == "1890000000000000202"  # from referenced_tweets
    assert message.extra["summoned"] is False
    status = CONNECTOR.can_reply_publicly(message.extra)
    assert not status.open and status.reason and "mentioned or quoted" in status.reason
    assert CONNECTOR.can_reply_publicly({"summoned": True}).open


def test_quote_of_a_brand_post_summons() -> None:
    data = fixture("x", "reply_not_summoned.json")
    data["data"]["payload"]["referenced_tweets"] = [{"type": "quoted", "id": "1890000000000000190"}]
    data["data"]["includes"]["tweets"] = [{"id": "1890000000000000190", "author_id": BRAND, "text": "Hello"}]
    (message,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert message.extra["summoned_by"] == "quote"
    assert CONNECTOR.can_reply_publicly(message.extra).reason == "the author quoted our account"


def test_dm_received() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("x", "dm_received.json")).messages
    assert message.visibility is Visibility.PRIVATE
    assert message.platform_message_id == "1890000000000000404"
    assert message.thread_key == "1450000000000000001-2200000000000000042"
    assert message.author.handle == "elodie_m" and message.author.followers == 15230
    assert message.created_at == datetime.fromtimestamp(1773483000.123, tz=UTC)
    assert message.attachments[0].url == "https://ton.twitter.com/dm/1/boarding.jpg"
    assert message.extra["participant_id"] == "2200000000000000042"
    assert not message.is_own


def test_dm_sent_by_us_is_own() -> None:
    data = fixture("x", "dm_received.json")
    create = data["data"]["payload"]["direct_message_events"][0]["message_create"]
    create["sender_id"], create["target"]["recipient_id"] = BRAND, "2200000000000000042"
    (message,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert message.is_own and message.extra["participant_id"] == "2200000000000000042"


@pytest.mark.parametrize("body", [b"", b"[]", b'{"data": 3}', b'{"data": {"event_type": "chat.received",'
                                  b' "payload": {}}}', b'{"data": {"event_type": "post.mention.create",'
                                  b' "payload": {"id": "1"}}}', b"\xff\xfe"])
def test_unknown_shapes_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


# --- sending ----------------------------------------------------------------------------------

def outbound(visibility: Visibility = Visibility.PUBLIC, **extra: Any) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="reply-1", text="@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM",
        visibility=visibility, thread_key="1890000000000000101", reply_to_platform_id="1890000000000000101",
        recipient=Author(platform_user_id="2200000000000000042", handle="elodie_m"), extra=extra,
    )


def test_public_reply(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/tweets", Reply(201, fixture("x", "create_post_201.json")))
    result = CONNECTOR.send(account(api_base=api.base_url), outbound(summoned=True), http)
    assert result.platform_message_id == "1890000000000000999"
    request = api.only()
    assert request.headers["authorization"] == "Bearer user-token"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"text": "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM",
                              "reply": {"in_reply_to_tweet_id": "1890000000000000101"}}


def test_public_reply_refused_when_not_summoned(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(summoned=False), http)
    assert not caught.value.retryable and "mentioned or quoted" in caught.value.reason
    assert api.requests == []


def test_platform_403_is_not_retryable_and_keeps_xs_words(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/tweets", Reply(403, fixture("x", "error_403_not_summoned.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), http)
    assert not caught.value.retryable
    assert "not been mentioned or otherwise engaged" in caught.value.reason


def test_direct_message(api: StandIn, http: httpx.Client) -> None:
    path = "/2/dm_conversations/with/2200000000000000042/messages"
    api.on("POST", path, Reply(201, fixture("x", "dm_send_201.json")))
    result = CONNECTOR.send(account(api_base=api.base_url), outbound(Visibility.PRIVATE), http)
    assert result.platform_message_id == "1890000000000000888"
    assert result.thread_key == "1450000000000000001-2200000000000000042"
    assert api.only().json() == {"text": "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM"}


def test_429_honours_x_rate_limit_reset(api: StandIn, http: httpx.Client) -> None:
    reset = int(time.time()) + 120
    api.on("POST", "/2/tweets", Reply(429, fixture("x", "error_429.json"),
                                      headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                                               "x-rate-limit-reset": str(reset)}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), http)
    assert caught.value.retryable and "Too Many Requests" in caught.value.reason
    assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 121


def test_503_is_retryable_with_retry_after(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/tweets", Reply(503, {"title": "Service Unavailable", "detail": "Service Unavailable",
                                            "type": "about:blank", "status": 503}, headers={"retry-after": "30"}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), http)
    assert caught.value.retryable and caught.value.retry_after == 30


def test_timeout_is_retryable(api: StandIn) -> None:
    api.on("POST", "/2/tweets", Reply(201, fixture("x", "create_post_201.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), quick)
    assert caught.value.retryable


def test_unreachable_is_retryable(http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base="http://127.0.0.1:9"), outbound(), http)
    assert caught.value.retryable


def test_notes_are_never_sent(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(api_base=api.base_url), outbound(Visibility.NOTE), http)
    assert api.requests == []


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/2/users/me", Reply(200, fixture("x", "users_me.json")))
    assert CONNECTOR.check_connection(account(api_base=api.base_url), http) == \
        "connected as @AirCompris (1450000000000000001)"
    assert api.only().headers["authorization"] == "Bearer user-token"


# --- replay -----------------------------------------------------------------------------------

def test_replay_request_shape() -> None:
    start = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
    request = CONNECTOR.replay_request(account(), start, start + timedelta(hours=6, minutes=30))
    assert request.method == "POST" and str(request.url) == "https://api.x.com/2/webhooks/replay"
    assert request.headers["authorization"] == "Bearer app-token"
    assert json.loads(request.content) == {"webhook_id": "1146654567674912769",
                                           "from_date": "202603140800", "to_date": "202603141430"}


def test_replay_window_rules() -> None:
    start = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        CONNECTOR.replay_request(account(), start, start + timedelta(hours=25))
    with pytest.raises(ValueError):
        CONNECTOR.replay_request(account(), start, start - timedelta(minutes=1))
    with pytest.raises(ValueError):
        CONNECTOR.replay_request(account(), start.replace(tzinfo=None), start.replace(tzinfo=None))


def test_replay_is_sent(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/2/webhooks/replay", Reply(200, {"data": {"job_id": "1801"}}))
    start = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
    assert CONNECTOR.replay(account(api_base=api.base_url), start, start + timedelta(hours=1), http) == "1801"
    assert api.only().json()["from_date"] == "202603140800"


# --- properties -------------------------------------------------------------------------------

FIXTURES = ["mention_fr.json", "reply_en_media.json", "reply_not_summoned.json", "dm_received.json"]


@given(body=st.binary(max_size=512), signature=st.text(max_size=60))
@settings(max_examples=150, deadline=None)
def test_random_bytes_never_verify_and_never_crash(body: bytes, signature: str) -> None:
    with pytest.raises(SignatureError):
        CONNECTOR.verify(account(), delivery(body, {"x-twitter-webhooks-signature-oauth2": signature}))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


def _mutate(data: Any, path: list[int], value: Any) -> Any:
    """Replace one node (chosen by ``path``) of a JSON document by ``value``."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    keys = list(data.keys()) if isinstance(data, dict) else list(range(len(data)))
    key = keys[path[0] % len(keys)]
    data[key] = _mutate(data[key], path[1:], value)
    return data


@given(name=st.sampled_from(FIXTURES), path=st.lists(st.integers(0, 20), max_size=6), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(_mutate(fixture("x", name), path, value), ensure_ascii=False).encode()
    CONNECTOR.verify(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)
