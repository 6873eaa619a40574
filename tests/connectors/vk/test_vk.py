"""The VK connector against recorded Callback API shapes and a local stand-in for ``api.vk.com``."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes, registry
from compris.connectors.base import (
    AccountContext,
    Author,
    Choice,
    ConnectorError,
    OutboundMessage,
    SendError,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
)
from compris.connectors.vk import VKConnector
from compris.connectors.vk.api import random_id

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

GROUP = "218861756"
SECRET = "s3cr3tKey4Compris"
CONNECTOR = VKConnector()
FIXTURES = ["confirmation.json", "message_new_ru.json", "message_new_attachments.json", "message_reply.json",
            "wall_reply_new.json", "wall_reply_new_thread.json", "wall_reply_new_own.json", "photo_comment_new.json",
            "group_join.json", "message_new_chat.json"]


def account(api: StandIn | None = None, **secrets: str) -> AccountContext:
    return AccountContext(account_id=9, workspace_id=1, network="vk", external_id=GROUP,
                          settings={"api_base": api.base_url} if api else {},
                          secrets={"access_token": "vk1.a.community", "secret_key": SECRET,
                                   "confirmation_code": "1a2b3c4d", **secrets})


def delivery(body: bytes, **headers: str) -> WebhookRequest:
    return WebhookRequest(method="POST", headers={"content-type": "application/json", **headers}, query={}, body=body)


def body_of(name: str, **changes: Any) -> bytes:
    data = fixture("vk", name)
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


# --- the Callback API handshake, the secret, the event id ------------------------------------------------

def test_confirmation_answers_the_code_as_plain_text() -> None:
    response = CONNECTOR.handshake(account(), delivery(fixture_bytes("vk", "confirmation.json")))
    assert response is not None
    assert (response.status_code, response.body, response.media_type) == (200, b"1a2b3c4d", "text/plain")


@pytest.mark.parametrize("changes,status", [
    ({"group_id": 1}, 403),  # another community
    ({"secret": "wrong"}, 403),
])
def test_confirmation_for_another_community_or_with_a_wrong_secret(changes: dict[str, Any], status: int) -> None:
    response = CONNECTOR.handshake(account(), delivery(body_of("confirmation.json", **changes)))
    assert response is not None and response.status_code == status and b"1a2b3c4d" not in response.body


def test_confirmation_without_a_secret_still_answers() -> None:
    data = fixture("vk", "confirmation.json")
    del data["secret"]
    response = CONNECTOR.handshake(account(), delivery(json.dumps(data).encode()))
    assert response is not None and response.body == b"1a2b3c4d"


def test_other_events_are_no_handshake() -> None:
    assert CONNECTOR.handshake(account(), delivery(fixture_bytes("vk", "message_new_ru.json"))) is None
    assert CONNECTOR.handshake(account(), WebhookRequest("GET", {}, {}, b"")) is None
    assert CONNECTOR.handshake(account(), delivery(b"not json")) is None


def test_a_delivery_with_the_secret_is_accepted_and_answered_ok() -> None:
    request = delivery(fixture_bytes("vk", "message_new_ru.json"))
    CONNECTOR.verify(account(), request)
    response = CONNECTOR.acknowledge(account(), request)
    assert (response.status_code, response.body, response.media_type) == (200, b"ok", "text/plain")


@pytest.mark.parametrize("changes", [{"secret": "wrong"}, {"secret": None}, {"secret": 12},
                                     {"group_id": 999}, {"group_id": None}])
def test_a_wrong_or_missing_secret_or_community_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(SignatureError) as refused:
        CONNECTOR.verify(account(), delivery(body_of("message_new_ru.json", **changes)))
    assert refused.value.status_code == 403


@pytest.mark.parametrize("typed", [f"-{GROUP}", f"club{GROUP}", f" {GROUP} "])
def test_the_community_id_may_be_typed_as_vk_shows_it(typed: str) -> None:
    context = dataclasses.replace(account(), external_id=typed)
    CONNECTOR.verify(context, delivery(fixture_bytes("vk", "message_new_ru.json")))
    assert CONNECTOR.parse(context, fixture_bytes("vk", "message_new_ru.json")).messages


def test_no_secret_configured_refuses_everything() -> None:
    with pytest.raises(SignatureError):
        CONNECTOR.verify(account(secret_key=""), delivery(fixture_bytes("vk", "message_new_ru.json")))


@pytest.mark.parametrize("body", [b"[]", b"nope", b"{\"secret\": "])
def test_bodies_that_are_not_objects_are_refused(body: bytes) -> None:
    with pytest.raises(SignatureError):
        CONNECTOR.verify(account(), delivery(body))


def test_redeliveries_share_the_event_id() -> None:
    body = fixture_bytes("vk", "message_new_ru.json")
    first = CONNECTOR.event_id(account(), delivery(body))
    retried = CONNECTOR.event_id(account(), delivery(body, **{"x-retry-counter": "2"}))
    assert first == retried == "vk:7f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
    assert CONNECTOR.event_id(account(), delivery(b"{}")).startswith("sha256:")


# --- parsing --------------------------------------------------------------------------------------------

def test_message_new_in_russian_with_a_photo() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("vk", "message_new_ru.json")).messages
    assert message.platform_message_id == "4012"
    assert message.thread_key == "dm:512345678" and message.visibility is Visibility.PRIVATE
    assert message.author.platform_user_id == "512345678" and message.author.name is None
    assert message.text.startswith("Здравствуйте! Заказ № 48213 не доставлен")
    assert message.created_at == datetime.fromtimestamp(1765012800, tz=UTC)
    (photo,) = message.attachments
    assert photo.kind == "image" and photo.url == "https://sun9-1.userapi.com/impg/w.jpg?size=960x1280"  # largest
    assert message.extra["peer_id"] == "512345678" and message.extra["event_type"] == "message_new"
    assert message.permalink == f"https://vk.com/gim{GROUP}?sel=512345678"
    assert not message.is_own


def test_message_new_attachments() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("vk", "message_new_attachments.json")).messages
    kinds = [(a.kind, a.url, a.name) for a in message.attachments]
    assert kinds[0] == ("file", "https://vk.com/doc623456789_661234567?hash=f00&dl=GE3DA", "receipt_7731.pdf")
    assert message.attachments[0].mime_type == "application/pdf" and message.attachments[0].size == 48211
    assert kinds[1][:2] == ("audio", "https://psv4.userapi.com/c1/u623456789/audiomsg/d1/voice.mp3")
    assert kinds[2] == ("sticker", "https://vk.com/sticker/1-9012-512", None)
    assert kinds[3] == ("link", "https://shop.example/orders/7731", "Order 7731")
    assert kinds[4] == ("post", f"https://vk.com/wall-{GROUP}_120", "Black Friday: free delivery on every order!")
    assert kinds[5] == ("video", "https://vk.com/video623456789_456239100", "Unboxing")
    assert kinds[6][0] == "gift"
    assert kinds[7] == ("location", None, "Moscow, Red Square")
    assert message.reply_to_platform_id == "4009"
    assert message.extra["forwarded"] == ["Your parcel has been handed to the courier"]
    assert {"type": "audio_message", "transcript": "the box was crushed", "id": "623456789_661234568"} in \
        message.extra["attachments"]


def test_message_reply_is_our_own_echo() -> None:
    (echo,) = CONNECTOR.parse(account(), fixture_bytes("vk", "message_reply.json")).messages
    assert echo.is_own and echo.platform_message_id == "4016" and echo.thread_key == "dm:512345678"
    assert echo.author.platform_user_id == f"-{GROUP}" and echo.extra["admin_author_id"] == "100200300"


def test_wall_comment_is_public_in_the_posts_thread() -> None:
    (comment,) = CONNECTOR.parse(account(), fixture_bytes("vk", "wall_reply_new.json")).messages
    assert comment.visibility is Visibility.PUBLIC
    assert comment.platform_message_id == f"wall_comment:-{GROUP}_1207"
    assert comment.thread_key == f"wall-{GROUP}_118"
    assert comment.reply_to_platform_id is None
    assert comment.extra["post_id"] == "118" and comment.extra["owner_id"] == f"-{GROUP}"
    assert comment.permalink == f"https://vk.com/wall-{GROUP}_118?reply=1207"
    assert "charged twice" in comment.text and not comment.is_own


def test_a_reply_in_a_comment_thread_keeps_reply_to_comment() -> None:
    (comment,) = CONNECTOR.parse(account(), fixture_bytes("vk", "wall_reply_new_thread.json")).messages
    assert comment.reply_to_platform_id == f"wall_comment:-{GROUP}_1207"
    assert comment.extra["reply_to_comment"] == "1207" and comment.extra["thread_root"] == "1207"
    assert comment.permalink.endswith("?reply=1211&thread=1207")
    assert comment.attachments[0].url == "https://sun9-3.userapi.com/z.jpg"


def test_the_communitys_own_comment_is_an_echo() -> None:
    (comment,) = CONNECTOR.parse(account(), fixture_bytes("vk", "wall_reply_new_own.json")).messages
    assert comment.is_own and comment.author.platform_user_id == f"-{GROUP}"


def test_photo_comment() -> None:
    (comment,) = CONNECTOR.parse(account(), fixture_bytes("vk", "photo_comment_new.json")).messages
    assert comment.thread_key == f"photo-{GROUP}_457239111" and comment.visibility is Visibility.PUBLIC
    assert comment.platform_message_id == f"photo_comment:-{GROUP}_88"
    assert comment.extra["photo_id"] == "457239111" and comment.extra["item"] == "photo_comment"


@pytest.mark.parametrize("name,reason", [
    ("group_join.json", "group_join"), ("message_new_chat.json", "group chat"), ("confirmation.json", "confirmation"),
])
def test_other_events_are_skipped_with_a_reason(name: str, reason: str) -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("vk", name))
    assert parsed.messages == () and reason in parsed.skipped[0]


def test_an_event_for_another_community_is_skipped() -> None:
    parsed = CONNECTOR.parse(account(), body_of("message_new_ru.json", group_id=1))
    assert parsed.messages == () and "community 1" in parsed.skipped[0]


def test_the_pre_5_103_message_shape_is_read_too() -> None:
    data = fixture("vk", "message_new_ru.json")
    data["object"] = data["object"]["message"]
    data["v"] = "5.92"
    (message,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert message.platform_message_id == "4012"


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_parses(name: str) -> None:
    body = fixture_bytes("vk", name)
    if name != "confirmation.json":
        CONNECTOR.verify(account(), delivery(body))
    CONNECTOR.parse(account(), body)


@given(name=st.sampled_from(FIXTURES), path=st.lists(st.integers(0, 20), max_size=8), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    data = mutate(fixture("vk", name), path, value)
    body = json.dumps(data).encode()
    with contextlib.suppress(SignatureError):
        CONNECTOR.verify(account(), delivery(body))
    CONNECTOR.event_id(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(body=st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_random_bytes_never_crash(body: bytes) -> None:
    with contextlib.suppress(SignatureError):
        CONNECTOR.verify(account(), delivery(body))
    CONNECTOR.handshake(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


# --- names --------------------------------------------------------------------------------------------

def test_names_come_from_users_get(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/users.get", Reply(200, fixture("vk", "users_get_200.json")))
    (message,) = CONNECTOR.parse(account(api), fixture_bytes("vk", "message_new_ru.json")).messages
    assert CONNECTOR.needs_enrichment(message)
    enriched = CONNECTOR.enrich(account(api), message, http)
    assert enriched.author.name == "Ольга Смирнова" and enriched.author.handle == "olga.smirnova"
    assert enriched.author.followers == 312 and enriched.author.platform_user_id == "512345678"
    assert not CONNECTOR.needs_enrichment(enriched)
    request = api.only()
    form = dict(httpx.QueryParams(request.body.decode()))
    assert form == {"user_ids": "512345678", "fields": "screen_name,followers_count,verified,photo_100",
                    "access_token": "vk1.a.community", "v": "5.199"}


def test_echoes_and_communities_need_no_names() -> None:
    (echo,) = CONNECTOR.parse(account(), fixture_bytes("vk", "message_reply.json")).messages
    (own,) = CONNECTOR.parse(account(), fixture_bytes("vk", "wall_reply_new_own.json")).messages
    assert not CONNECTOR.needs_enrichment(echo) and not CONNECTOR.needs_enrichment(own)


def test_a_passing_users_get_failure_is_retried_a_lasting_one_is_not(api: StandIn, http: httpx.Client) -> None:
    (message,) = CONNECTOR.parse(account(api), fixture_bytes("vk", "message_new_ru.json")).messages
    api.on("POST", "/method/users.get", Reply(200, fixture("vk", "error_6.json")))
    with pytest.raises(ConnectorError):
        CONNECTOR.enrich(account(api), message, http)
    api.on("POST", "/method/users.get", Reply(200, fixture("vk", "error_5.json")))
    kept = CONNECTOR.enrich(account(api), message, http)
    assert kept.author.name is None and kept.extra["enriched"] is False
    assert not CONNECTOR.needs_enrichment(kept)


# --- sending ------------------------------------------------------------------------------------------

def private(**extra: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="ws1:reply-77", text="Здравствуйте, Ольга! Проверяем заказ.",
                           visibility=Visibility.PRIVATE, thread_key="dm:512345678", reply_to_platform_id="4012",
                           recipient=Author(platform_user_id="512345678"), extra=extra)


def form_of(request: Any) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(httpx.QueryParams(request.body.decode()))


def test_random_id_is_a_stable_31_bit_number() -> None:
    assert random_id("ws1:reply-77") == random_id("ws1:reply-77")
    assert random_id("ws1:reply-77") != random_id("ws1:reply-78")
    assert all(0 < random_id(f"k{i}") < 2**31 for i in range(200))


def test_send_private_message(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    result = CONNECTOR.send(account(api), private(peer_id="512345678"), http)
    assert result.platform_message_id == "4017" and result.thread_key == "dm:512345678"
    request = api.only()
    assert (request.method, request.path) == ("POST", "/method/messages.send")
    assert form_of(request) == {"peer_id": "512345678", "random_id": str(random_id("ws1:reply-77")),
                                "message": "Здравствуйте, Ольга! Проверяем заказ.", "reply_to": "4012",
                                "access_token": "vk1.a.community", "v": "5.199"}


def test_a_retry_sends_the_same_random_id(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "error_10.json")),
           Reply(200, fixture("vk", "messages_send_200.json")))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), http)
    assert failed.value.retryable
    CONNECTOR.send(account(api), private(), http)
    first, second = (form_of(r)["random_id"] for r in api.requests)
    assert first == second


def wall_reply(**changes: Any) -> OutboundMessage:
    fields: dict[str, Any] = dict(
        idempotency_key="ws1:reply-81", text="We are sorry! We have written to you in private messages.",
        visibility=Visibility.PUBLIC, thread_key=f"wall-{GROUP}_118",
        reply_to_platform_id=f"wall_comment:-{GROUP}_1207", recipient=Author(platform_user_id="734567890"),
        extra={"comment_id": "1207", "post_id": "118", "owner_id": f"-{GROUP}"})
    fields.update(changes)
    return OutboundMessage(**fields)


def test_public_reply_to_a_wall_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/wall.createComment", Reply(200, fixture("vk", "wall_create_comment_200.json")))
    result = CONNECTOR.send(account(api), wall_reply(), http)
    assert result.platform_message_id == f"wall_comment:-{GROUP}_1213"
    assert form_of(api.only()) == {
        "owner_id": f"-{GROUP}", "post_id": "118", "from_group": GROUP, "reply_to_comment": "1207",
        "message": "We are sorry! We have written to you in private messages.", "guid": "ws1:reply-81",
        "access_token": "vk1.a.community", "v": "5.199"}


def test_public_reply_without_notes_reads_the_thread_key(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/wall.createComment", Reply(200, fixture("vk", "wall_create_comment_200.json")))
    CONNECTOR.send(account(api), wall_reply(extra={}), http)
    form = form_of(api.only())
    assert form["post_id"] == "118" and form["reply_to_comment"] == "1207"


def test_photo_comment_replies_need_a_user_token(api: StandIn, http: httpx.Client) -> None:
    message = wall_reply(thread_key=f"photo-{GROUP}_457239111", reply_to_platform_id=f"photo_comment:-{GROUP}_88",
                         extra={"comment_id": "88"})
    with pytest.raises(SendError) as refused:
        CONNECTOR.send(account(api), message, http)
    assert not refused.value.retryable and "user token" in refused.value.reason and api.requests == []
    api.on("POST", "/method/photos.createComment", Reply(200, fixture("vk", "photos_create_comment_200.json")))
    result = CONNECTOR.send(account(api, user_access_token="vk1.a.admin"), message, http)
    assert result.platform_message_id == f"photo_comment:-{GROUP}_89"
    form = form_of(api.only())
    assert form["access_token"] == "vk1.a.admin" and form["photo_id"] == "457239111"
    assert form["owner_id"] == f"-{GROUP}" and form["from_group"] == "1" and form["reply_to_comment"] == "88"
    assert form["guid"] == "ws1:reply-81"


@pytest.mark.parametrize("name,retryable,unauthorized,words", [
    ("error_6.json", True, False, "per second"),
    ("error_9.json", True, False, "flood control"),
    ("error_10.json", True, False, "internal"),
    ("error_5.json", False, True, "new community token"),
    ("error_901.json", False, False, "not allowed messages"),
    ("error_212.json", False, False, "comments on this post are closed"),
    ("error_914.json", False, False, "too long"),
])
def test_vk_errors_are_classified(api: StandIn, http: httpx.Client, name: str, retryable: bool,
                                  unauthorized: bool, words: str) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", name)))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), http)
    assert failed.value.retryable is retryable and failed.value.unauthorized is unauthorized
    assert words in failed.value.reason and str(fixture("vk", name)["error"]["error_code"]) in failed.value.reason
    assert "vk1.a.community" not in failed.value.reason


def test_flood_control_waits(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/wall.createComment", Reply(200, fixture("vk", "error_9.json")))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), wall_reply(), http)
    assert failed.value.retry_after == 60.0


@pytest.mark.parametrize("reply,retryable", [
    (Reply(503, body=b"bad gateway"), True), (Reply(429, body=b"slow", headers={"retry-after": "7"}), True),
    (Reply(404, body=b"no"), False), (Reply(200, body=b"<html>"), False), (Reply(200, {"unexpected": 1}), False),
])
def test_http_failures(api: StandIn, http: httpx.Client, reply: Reply, retryable: bool) -> None:
    api.on("POST", "/method/messages.send", reply)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), http)
    assert failed.value.retryable is retryable


def test_a_timeout_is_retryable(api: StandIn) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), quick)
    assert failed.value.retryable


def test_peer_ids_answers_are_read(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, {"response": [{"peer_id": 512345678, "message_id": 4020}]}),
           Reply(200, {"response": [{"peer_id": 512345678, "error": {"code": 901, "description": "no"}}]}))
    assert CONNECTOR.send(account(api), private(), http).platform_message_id == "4020"
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), http)
    assert not failed.value.retryable and "901" in failed.value.reason


def test_what_cannot_be_sent(api: StandIn, http: httpx.Client) -> None:
    import dataclasses

    from compris.connectors.base import Attachment

    cases = [
        (dataclasses.replace(private(), visibility=Visibility.NOTE), "internal notes"),
        (dataclasses.replace(private(), thread_key="", recipient=None), "peer_id"),
        (dataclasses.replace(private(), attachments=(Attachment(kind="image", url="https://x/y.png"),)), "upload"),
        (dataclasses.replace(wall_reply(), thread_key="wall-1_5", extra={}), "own wall"),
        (dataclasses.replace(wall_reply(), thread_key="board1_2", extra={}), "post or photo"),
        (dataclasses.replace(wall_reply(), choices=(Choice("5", "5"),)), "only sent privately"),
    ]
    for message, words in cases:
        with pytest.raises(SendError) as refused:
            CONNECTOR.send(account(api), message, http)
        assert words in refused.value.reason and not refused.value.retryable
    with pytest.raises(SendError):
        CONNECTOR.send(account(api, access_token=""), private(), http)
    assert api.requests == []


# --- connection check and network facts ---------------------------------------------------------------

def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/groups.getById", Reply(200, fixture("vk", "groups_get_by_id_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == \
        f"connected to Compris Shop (vk.com/comprisshop, id {GROUP})"
    api.on("POST", "/method/groups.getById", Reply(200, {"response": [{"id": 5, "name": "Other"}]}))
    with pytest.raises(ConnectorError, match="community 5"):
        CONNECTOR.check_connection(account(api), http)
    api.on("POST", "/method/groups.getById", Reply(200, fixture("vk", "error_5.json")))
    with pytest.raises(ConnectorError, match="token"):
        CONNECTOR.check_connection(account(api), http)


def test_network_facts() -> None:
    connector = registry.get("vk")
    assert isinstance(connector, VKConnector)
    assert registry.find("ВКонтакте") is connector and registry.find("vkontakte") is connector
    assert connector.limits.private_max_length == 4096 and connector.limits.public_max_length == 2048
    assert connector.limits.private_reply_window is None and connector.limits.public_reply_window is None
    assert connector.supports_idempotency and not connector.can_start_private and not connector.public_reply_mentions
    assert connector.private_thread_key(account(), Author(platform_user_id="512345678")) == "dm:512345678"
    assert connector.accepts_webhooks and not connector.supports_polling
    assert set(connector.field_help) >= {"external_id", *connector.secret_fields, *connector.setting_fields}
    status = connector.reply_window(Visibility.PRIVATE, datetime(2020, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert status.open  # no 24-hour window on VK
