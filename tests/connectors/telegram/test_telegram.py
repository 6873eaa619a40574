from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import (
    AccountContext,
    Author,
    ConnectorError,
    OutboundMessage,
    SendError,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
)
from compris.connectors.telegram import TelegramConnector
from compris.connectors.telegram.api import RedactToken, redact

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

BOT_ID = "7012345678"
TOKEN = "7012345678:AAH-test_token_value0123456789abcdefgh"
SECRET = "Zq3-webhook_secret_made_by_Compris"
CONNECTION = "AQADaBcDeFgHiJkLmNoPqRsT_uVwXyZ0"
CONNECTOR = TelegramConnector()
UPDATES = sorted(p.name for p in resources.files("compris.connectors.telegram").joinpath("fixtures").iterdir()
                 if p.name.endswith(".json") and not p.name.startswith(("send_", "get_", "error_")))


def account(api: StandIn | None = None, **settings_: Any) -> AccountContext:
    values: dict[str, Any] = {"bot_username": "AirComprisBot", **settings_}
    if api:
        values["api_base"] = api.base_url
    return AccountContext(account_id=7, workspace_id=1, network="telegram", external_id=BOT_ID, settings=values,
                          secrets={"bot_token": TOKEN, "webhook_secret": SECRET})


def delivery(body: bytes, secret: str | None = SECRET, method: str = "POST") -> WebhookRequest:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return WebhookRequest(method=method, headers=headers, query={}, body=body)


def parsed(name: str, **settings_: Any) -> Any:
    return CONNECTOR.parse(account(**settings_), fixture_bytes("telegram", name))


def path(method: str) -> str:
    return f"/bot{TOKEN}/{method}"


# --- verification and de-duplication ----------------------------------------------------------------------------
def test_the_secret_token_header_authenticates_a_delivery() -> None:
    CONNECTOR.verify(account(), delivery(fixture_bytes("telegram", "message_text.json")))


@pytest.mark.parametrize("secret,status", [(None, 401), ("wrong", 401), (SECRET + "x", 401), ("", 401),
                                           ("é" * 3, 401)])
def test_a_missing_or_wrong_secret_is_refused(secret: str | None, status: int) -> None:
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(), delivery(b"{}", secret))
    assert caught.value.status_code == status


def test_no_secret_configured_and_get_requests_are_refused() -> None:
    bare = AccountContext(7, 1, "telegram", BOT_ID, secrets={"bot_token": TOKEN})
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(bare, delivery(b"{}"))
    assert caught.value.status_code == 403
    with pytest.raises(SignatureError) as caught:
        CONNECTOR.verify(account(), delivery(b"{}", method="GET"))
    assert caught.value.status_code == 405


def test_event_id_is_the_update_id() -> None:
    assert CONNECTOR.event_id(account(), delivery(fixture_bytes("telegram", "message_text.json"))) == \
        "update:804211001"
    assert CONNECTOR.event_id(account(), delivery(b"not json")).startswith("sha256:")


# --- inbound ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", UPDATES)
def test_every_fixture_parses(name: str) -> None:
    result = parsed(name)
    assert result.messages or result.statuses or result.skipped


def test_a_private_text_message() -> None:
    (message,) = parsed("message_text.json").messages
    assert message.platform_message_id == "5512345678:412"
    assert message.thread_key == "5512345678" and message.visibility is Visibility.PRIVATE
    assert message.author == Author(platform_user_id="5512345678", handle="@elodie_m", name="Élodie Marchand")
    assert message.text == "Bonjour 👋 ma valise n'est pas arrivée à Nice, dossier NCE-44721"
    assert message.created_at == datetime.fromtimestamp(1773483000, tz=UTC)
    assert message.extra["chat_id"] == "5512345678" and message.extra["message_id"] == 412
    assert not message.is_own and message.reply_to_platform_id is None


def test_a_photo_keeps_the_largest_size_and_no_url() -> None:
    (message,) = parsed("message_photo.json").messages
    (photo,) = message.attachments
    assert photo.kind == "image" and photo.size == 98312 and photo.url is None  # the URL would carry the token
    assert message.extra["files"] == [{"kind": "image", "file_id": "AgACAgQAAxkBAAIBnWbH_large",
                                       "file_unique_id": "AQADlarge", "name": None, "mime_type": "image/jpeg",
                                       "size": 98312}]
    assert message.text == "La valise abîmée 😡"  # the caption
    assert message.reply_to_platform_id == "5512345678:410"


@pytest.mark.parametrize("name,kind,mime,text", [
    ("message_media_utf8.json", "file", "application/pdf", "Ma facture"),
    ("message_voice.json", "audio", "audio/ogg", ""),
    ("message_video.json", "video", "video/mp4", ""),
    ("message_sticker.json", "sticker", "image/webp", "😢"),
])
def test_files_become_attachments(name: str, kind: str, mime: str, text: str) -> None:
    (message,) = parsed(name).messages
    (attachment,) = message.attachments
    assert (attachment.kind, attachment.mime_type, message.text) == (kind, mime, text)
    assert message.extra["files"][0]["file_id"]
    if name == "message_media_utf8.json":
        assert attachment.name == "facture_été.pdf"


def test_a_location_is_an_attachment_with_a_map_link() -> None:
    (message,) = parsed("message_location.json").messages
    (place,) = message.attachments
    assert place.kind == "location" and place.name == "Aéroport Nice Côte d'Azur, Terminal 2, 06200 Nice"
    assert place.url == "https://www.openstreetmap.org/?mlat=43.658411&mlon=7.215872"
    assert message.text == "Aéroport Nice Côte d'Azur, Terminal 2, 06200 Nice (43.658411, 7.215872)"
    assert "files" not in message.extra


def test_a_group_message_that_mentions_the_bot_is_public() -> None:
    (message,) = parsed("message_group_mention.json").messages
    assert message.visibility is Visibility.PUBLIC and message.thread_key == "-1001987654321"
    assert message.platform_message_id == "-1001987654321:9021"
    assert message.extra["addressed"] == "mention" and message.thread_title == "Air Compris — voyageurs"
    assert message.permalink == "https://t.me/aircompris_voyageurs/9021"
    # without the bot's username Compris cannot tell the mention
    assert parsed("message_group_mention.json", bot_username="").messages == ()


def test_other_group_messages_are_skipped() -> None:
    result = parsed("message_group_chatter.json")
    assert result.messages == () and "neither mentions the bot nor replies to it" in result.skipped[0]


def _group(**message: Any) -> bytes:
    data = fixture("telegram", "message_group_chatter.json")
    data["message"].update(message)
    return json.dumps(data).encode()


def test_group_replies_to_the_bot_and_commands_for_it_are_kept() -> None:
    bot = {"id": int(BOT_ID), "is_bot": True, "first_name": "Air Compris"}
    reply = _group(reply_to_message={"message_id": 9000, "from": bot, "chat": {"id": -1, "type": "supergroup"},
                                     "date": 1})
    (message,) = CONNECTOR.parse(account(), reply).messages
    assert message.extra["addressed"] == "reply" and message.reply_to_platform_id == "-1001987654321:9000"
    command = _group(text="/aide@AirComprisBot valise", entities=[{"offset": 0, "length": 19, "type": "bot_command"}])
    assert CONNECTOR.parse(account(), command).messages[0].extra["addressed"] == "command"
    # offsets count UTF-16 units: an emoji before the mention
    emoji = _group(text="👋 @aircompriSBOT bonjour", entities=[{"offset": 3, "length": 14, "type": "mention"}])
    assert CONNECTOR.parse(account(), emoji).messages[0].extra["addressed"] == "mention"
    other = _group(text="@SomeOtherBot hi", entities=[{"offset": 0, "length": 13, "type": "mention"}])
    assert CONNECTOR.parse(account(), other).messages == ()


def test_an_edit_is_a_new_message_marked_edited() -> None:
    (message,) = parsed("edited_message.json").messages
    assert message.platform_message_id == "5512345678:412:edit:1773483500"
    assert message.extra["edited"] is True and message.extra["edit_of"] == "5512345678:412"
    assert message.reply_to_platform_id == "5512345678:412"
    assert message.created_at == datetime.fromtimestamp(1773483500, tz=UTC)
    assert "NCE-44722" in message.text


def test_business_messages() -> None:
    (message,) = parsed("business_message.json").messages
    assert message.platform_message_id == f"b:{CONNECTION}:6623456789:2201"
    assert message.thread_key == f"b:{CONNECTION}:6623456789"
    assert message.extra["business_connection_id"] == CONNECTION and not message.is_own
    assert message.author.platform_user_id == "6623456789" and message.visibility is Visibility.PRIVATE
    # what the business account wrote itself in the chat: our own side of the conversation
    (own,) = parsed("business_message_owner.json").messages
    assert own.is_own and own.thread_key == message.thread_key and own.extra["customer_id"] == "6623456789"
    (edit,) = parsed("edited_business_message.json").messages
    assert edit.platform_message_id == f"b:{CONNECTION}:6623456789:2201:edit:1773483700"
    assert edit.reply_to_platform_id == message.platform_message_id


def test_deleted_business_messages_are_statuses() -> None:
    result = parsed("deleted_business_messages.json")
    assert [s.platform_message_id for s in result.statuses] == [f"b:{CONNECTION}:6623456789:2201",
                                                                 f"b:{CONNECTION}:6623456789:2203"]
    assert {s.status for s in result.statuses} == {"deleted"}


def test_a_business_connection_is_noted_not_stored() -> None:
    result = parsed("business_connection.json")
    assert result.messages == () and "enabled, can reply" in result.skipped[0]


def test_unknown_updates_are_skipped() -> None:
    assert parsed("my_chat_member.json").skipped == ("Telegram update 'my_chat_member' is not handled",)


@pytest.mark.parametrize("body", [
    b"[]", b"{}", b'{"update_id": 1}', b'{"message": {}}',
    b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5}}}',
    b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": "x"}, "date": 1, "from": {"id": 5}}}',
    b'{"update_id": 1, "business_message": {"message_id": 1, "chat": {"id": 5}, "date": 1, "from": {"id": 5}}}',
    b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5}, "date": 1, "from": {"id": 5}, '
    b'"photo": [{"width": 1}]}}',
    b'{"update_id": 1, "deleted_business_messages": {"business_connection_id": "c", "chat": {"id": 5}, '
    b'"message_ids": ["x"]}}',
])
def test_broken_updates_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(name=st.sampled_from(UPDATES), path=st.lists(st.integers(0, 20), max_size=8), value=json_values)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_updates_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("telegram", name), path, value)).encode()
    request = delivery(body)
    CONNECTOR.verify(account(), request)
    CONNECTOR.event_id(account(), request)
    CONNECTOR.acknowledge(account(), request)
    with contextlib.suppress(UnprocessableEvent):
        result = CONNECTOR.parse(account(), body)
        for message in result.messages:
            CONNECTOR.needs_enrichment(message)


# --- files: getFile -----------------------------------------------------------------------------------------------
def test_enrich_resolves_the_file_path_without_the_token(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("getFile"), Reply(200, fixture("telegram", "get_file_200.json")))
    (message,) = parsed("message_photo.json").messages
    assert CONNECTOR.needs_enrichment(message)
    enriched = CONNECTOR.enrich(account(api), message, http)
    assert api.only().json() == {"file_id": "AgACAgQAAxkBAAIBnWbH_large"}
    assert enriched.extra["files"][0]["file_path"] == "photos/file_12.jpg"
    assert TOKEN not in json.dumps(enriched.extra) and enriched.attachments[0].url is None
    assert not CONNECTOR.needs_enrichment(enriched)


def test_enrich_keeps_why_a_file_cannot_be_fetched(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("getFile"), Reply(400, fixture("telegram", "error_400_file_too_big.json")))
    (message,) = parsed("message_video.json").messages
    enriched = CONNECTOR.enrich(account(api), message, http)
    assert "file is too big" in enriched.extra["files"][0]["file_path_error"]
    assert not CONNECTOR.needs_enrichment(enriched)
    api.on("POST", path("getFile"), Reply(502, fixture("telegram", "error_502.json")))
    with pytest.raises(ConnectorError):  # retried later by the ingest job
        CONNECTOR.enrich(account(api), message, http)


# --- send -------------------------------------------------------------------------------------------------------------
def message(text: str = "Bonjour Élodie, nous localisons votre valise 🧳", **fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "idempotency_key": "reply-42", "text": text, "visibility": Visibility.PRIVATE, "thread_key": "5512345678",
        "reply_to_platform_id": "5512345678:412", "recipient": Author(platform_user_id="5512345678"), **fields}
    return OutboundMessage(**values)


def test_send_a_reply(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    result = CONNECTOR.send(account(api), message(), http)
    assert result.platform_message_id == "5512345678:431" and result.thread_key == "5512345678"
    request = api.only()
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"chat_id": 5512345678, "text": "Bonjour Élodie, nous localisons votre valise 🧳",
                              "reply_parameters": {"message_id": 412, "allow_sending_without_reply": True}}


def test_a_reply_to_an_edit_answers_the_message(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    CONNECTOR.send(account(api), message(reply_to_platform_id="5512345678:412:edit:1773483500"), http)
    assert api.only().json()["reply_parameters"]["message_id"] == 412


def test_a_public_reply_in_a_group(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    CONNECTOR.send(account(api), message("We are on it", visibility=Visibility.PUBLIC, thread_key="-1001987654321",
                                         reply_to_platform_id="-1001987654321:9021"), http)
    assert api.only().json() == {"chat_id": -1001987654321, "text": "We are on it",
                                 "reply_parameters": {"message_id": 9021, "allow_sending_without_reply": True}}


def test_a_reply_in_a_forum_topic_stays_in_the_topic(api: StandIn, http: httpx.Client) -> None:
    data = fixture("telegram", "message_group_mention.json")
    data["message"].update(message_thread_id=77, is_topic_message=True)
    (inbound,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert inbound.extra["topic_id"] == 77 and inbound.thread_key == "-1001987654321"
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    CONNECTOR.send(account(api), message("On s'en occupe", visibility=Visibility.PUBLIC, thread_key="-1001987654321",
                                         reply_to_platform_id="-1001987654321:9021", extra=dict(inbound.extra)), http)
    assert api.only().json() == {"chat_id": -1001987654321, "message_thread_id": 77, "text": "On s'en occupe",
                                 "reply_parameters": {"message_id": 9021, "allow_sending_without_reply": True}}


def test_a_private_message_to_a_group_member_goes_to_their_chat_with_the_bot(api: StandIn,
                                                                             http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    CONNECTOR.send(account(api), message("En privé", thread_key="-1001987654321",
                                         reply_to_platform_id="-1001987654321:9021",
                                         recipient=Author(platform_user_id="6623456789")), http)
    assert api.only().json() == {"chat_id": 6623456789, "text": "En privé"}  # no reply across chats


@pytest.mark.parametrize("fields", [
    {"visibility": Visibility.PUBLIC},  # a private chat has no public side
    {"visibility": Visibility.NOTE},
    {"thread_key": "not-a-chat", "recipient": None},
])
def test_impossible_sends_are_refused_without_a_call(api: StandIn, http: httpx.Client,
                                                     fields: dict[str, Any]) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(**fields), http)
    assert not caught.value.retryable and api.requests == []


def business(**fields: Any) -> OutboundMessage:
    return message("Yes, breakfast is included 🥐", thread_key=f"b:{CONNECTION}:6623456789",
                   reply_to_platform_id=f"b:{CONNECTION}:6623456789:2201",
                   recipient=Author(platform_user_id="6623456789"), **fields)


def test_a_business_reply_names_the_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("getBusinessConnection"), Reply(200, fixture("telegram", "get_business_connection_200.json")))
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_business_200.json")))
    recent = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    result = CONNECTOR.send(account(api), business(extra={"last_customer_message_at": recent}), http)
    check, send = api.requests
    assert check.json() == {"business_connection_id": CONNECTION}
    assert send.json() == {"chat_id": 6623456789, "business_connection_id": CONNECTION,
                           "text": "Yes, breakfast is included 🥐",
                           "reply_parameters": {"message_id": 2201, "allow_sending_without_reply": True}}
    assert result.platform_message_id == f"b:{CONNECTION}:6623456789:2204"
    assert result.thread_key == f"b:{CONNECTION}:6623456789"


@pytest.mark.parametrize("answer,reason", [
    ("get_business_connection_disabled.json", "disabled its connection"),
    ("get_business_connection_read_only.json", "did not allow the bot to reply"),
])
def test_a_business_reply_is_refused_when_the_connection_does_not_allow_it(
        api: StandIn, http: httpx.Client, answer: str, reason: str) -> None:
    api.on("POST", path("getBusinessConnection"), Reply(200, fixture("telegram", answer)))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), business(), http)
    assert not caught.value.retryable and reason in caught.value.reason
    assert [r.path for r in api.requests] == [path("getBusinessConnection")]


def test_a_business_chat_inactive_for_a_day_is_refused(api: StandIn, http: httpx.Client) -> None:
    old = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), business(extra={"last_customer_message_at": old}), http)
    assert "last 24 hours" in caught.value.reason and api.requests == []


def test_legacy_can_reply_is_understood(api: StandIn, http: httpx.Client) -> None:
    legacy = fixture("telegram", "get_business_connection_200.json")
    del legacy["result"]["rights"]
    legacy["result"]["can_reply"] = True
    api.on("POST", path("getBusinessConnection"), Reply(200, legacy))
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_business_200.json")))
    CONNECTOR.send(account(api), business(), http)


@pytest.mark.parametrize("status,payload,retryable,wait,words", [
    (429, "error_429.json", True, 35.0, "rate limit"),
    (502, "error_502.json", True, None, "server error 502"),
    (400, "error_400_chat_not_found.json", False, None, "does not know this chat"),
    (403, "error_403_blocked.json", False, None, "the customer blocked the bot"),
    (400, "error_400_migrated.json", False, None, "became a supergroup"),
])
def test_errors_are_mapped(api: StandIn, http: httpx.Client, status: int, payload: str, retryable: bool,
                           wait: float | None, words: str) -> None:
    api.on("POST", path("sendMessage"), Reply(status, fixture("telegram", payload)))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable is retryable and caught.value.retry_after == wait
    assert words in caught.value.reason and TOKEN not in caught.value.reason
    assert not caught.value.unauthorized


def test_a_revoked_token_is_unauthorized(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(401, fixture("telegram", "error_401.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.unauthorized and not caught.value.retryable and "@BotFather" in caught.value.reason


def test_an_unreachable_api_is_retryable(http: httpx.Client) -> None:
    with StandIn() as gone:
        base = gone.base_url
    closed = AccountContext(7, 1, "telegram", BOT_ID, settings={"api_base": base}, secrets={"bot_token": TOKEN})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(closed, message(), http)
    assert caught.value.retryable and TOKEN not in caught.value.reason


def test_a_text_over_4096_characters_is_refused(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), message("x" * 4097), http)
    assert api.requests == []


# --- connection check, facts, secrets ----------------------------------------------------------------------------
def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("getMe"), Reply(200, fixture("telegram", "get_me_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == (
        "connected as @AirComprisBot (7012345678; privacy mode on: in groups it sees only commands, mentions of it "
        "and replies to it, can be connected to business accounts)")


def test_check_connection_failures(api: StandIn, http: httpx.Client) -> None:
    other = dict(fixture("telegram", "get_me_200.json"))
    other["result"] = {**other["result"], "id": 42}
    api.on("POST", path("getMe"), Reply(200, other))
    with pytest.raises(ConnectorError, match="belongs to bot 42"):
        CONNECTOR.check_connection(account(api), http)
    api.on("POST", path("getMe"), Reply(401, fixture("telegram", "error_401.json")))
    with pytest.raises(ConnectorError) as caught:
        CONNECTOR.check_connection(account(api), http)
    assert TOKEN not in str(caught.value)


def test_network_facts() -> None:
    assert not CONNECTOR.supports_idempotency and not CONNECTOR.can_start_private
    assert CONNECTOR.limits.private_max_length == CONNECTOR.limits.public_max_length == 4096
    assert CONNECTOR.generated_fields == ("webhook_secret",) and CONNECTOR.accepts_webhooks
    assert CONNECTOR.private_thread_key(account(), Author(platform_user_id="5512345678")) == "5512345678"
    now = datetime(2026, 12, 6, tzinfo=UTC)
    assert CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(days=300), now).open
    assert set(CONNECTOR.field_labels) == {"external_id", *CONNECTOR.secret_fields, *CONNECTOR.setting_fields}
    assert set(CONNECTOR.field_help) == set(CONNECTOR.field_labels)


def test_the_token_is_redacted_from_httpx_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert redact(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage") == \
        "POST https://api.telegram.org/bot<redacted>/sendMessage"
    assert redact(f"https://api.telegram.org/file/bot{TOKEN}/photos/a.jpg") == \
        "https://api.telegram.org/file/bot<redacted>/photos/a.jpg"
    logger = logging.getLogger("httpx")
    assert any(isinstance(f, RedactToken) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="httpx"):
        logger.info('HTTP Request: %s %s "%s"', "POST", httpx.URL(f"https://api.telegram.org/bot{TOKEN}/getMe"),
                    "HTTP/1.1 200 OK")
    assert TOKEN not in caplog.text and "bot<redacted>/getMe" in caplog.text


@given(name=st.sampled_from(["error_429.json", "error_400_chat_not_found.json", "error_403_blocked.json",
                             "error_401.json", "error_502.json", "error_400_migrated.json", "send_message_200.json"]),
       status=st.sampled_from([200, 400, 401, 403, 429, 502]), path=st.lists(st.integers(0, 20), max_size=4),
       value=json_values)
@settings(max_examples=200, deadline=None)
def test_mutated_api_answers_are_results_or_send_errors(name: str, status: int, path: list[int], value: Any) -> None:
    from compris.connectors.telegram.api import result

    body = json.dumps(mutate(fixture("telegram", name), path, value)).encode()
    with contextlib.suppress(SendError):
        result(httpx.Response(status, content=body), "sendMessage")
