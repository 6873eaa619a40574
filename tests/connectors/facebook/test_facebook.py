from __future__ import annotations

import contextlib
import json
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
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.facebook import FacebookConnector

from ..meta.helpers import APP_SECRET, delivery, json_values, mutate
from ..standin import Reply, StandIn

PAGE = "104000000000001"
CONNECTOR = FacebookConnector()


def account(api: StandIn | None = None) -> AccountContext:
    settings_ = {"api_base": f"{api.base_url}/v25.0"} if api else {}
    return AccountContext(account_id=4, workspace_id=1, network="facebook", external_id=PAGE, settings=settings_,
                          secrets={"app_secret": APP_SECRET, "verify_token": "v", "page_access_token": "page-token"})


# --- inbound ----------------------------------------------------------------------------------

def test_batched_feed_delivery_with_escaped_unicode() -> None:
    body = fixture_bytes("facebook", "feed_batch.json")
    assert b"\\u00c9lodie" in body and b"\\ud83d\\ude21" in body  # as Meta sends it
    CONNECTOR.verify(account(), delivery(body))
    parsed = CONNECTOR.parse(account(), body)
    first, edited, visitor_post = parsed.messages
    assert first.platform_message_id == "555000000000001_900000000000001"
    assert first.thread_key == f"{PAGE}_555000000000001"
    assert first.reply_to_platform_id == f"{PAGE}_555000000000001"
    assert first.text == "Toujours pas de nouvelles de ma valise 😡 dossier CDG-44721, c'est inadmissible !"
    assert first.author.name == "Élodie Marchand" and first.author.platform_user_id == "6100000000000042"
    assert first.created_at == datetime.fromtimestamp(1773480000, tz=UTC)
    assert first.permalink == "https://www.facebook.com/AirCompris/posts/pfbid0abc"
    assert first.visibility is Visibility.PUBLIC and not first.is_own
    assert first.extra["top_level"] is True and first.extra["comment_id"] == first.platform_message_id
    assert edited.extra["edited"] is True and edited.reply_to_platform_id == "555000000000001_900000000000001"
    assert edited.extra["top_level"] is False
    assert visitor_post.platform_message_id == visitor_post.thread_key == f"{PAGE}_555000000000777"
    assert visitor_post.reply_to_platform_id is None and visitor_post.text.startswith("Bravo à l'équipe")
    assert visitor_post.attachments[0].kind == "image"
    assert visitor_post.attachments[0].url == "https://scontent.xx.fbcdn.net/v/photo.jpg"
    assert parsed.skipped == ("feed item reaction is not handled",)


def test_removed_comment_is_a_deleted_status() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("facebook", "feed_remove.json"))
    assert parsed.messages == ()
    (status,) = parsed.statuses
    assert status.platform_message_id == "555000000000001_900000000000001" and status.status == "deleted"


def test_page_comment_is_own() -> None:
    data = fixture("facebook", "feed_batch.json")
    data["entry"][0]["changes"][0]["value"]["from"] = {"id": PAGE, "name": "Air Compris"}
    first = CONNECTOR.parse(account(), json.dumps(data).encode()).messages[0]
    assert first.is_own


def test_comment_without_from_gets_an_anonymous_author() -> None:
    data = fixture("facebook", "feed_batch.json")
    del data["entry"][0]["changes"][0]["value"]["from"]
    first = CONNECTOR.parse(account(), json.dumps(data).encode()).messages[0]
    assert first.author.platform_user_id == "anonymous:555000000000001_900000000000001"


def test_messenger_batch() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("facebook", "messenger_batch.json"))
    text, attachments, echo, thanks, postback = parsed.messages
    assert text.platform_message_id == "m_AbCdEf001" and text.thread_key == "7100000000000042"
    assert text.visibility is Visibility.PRIVATE
    assert text.text == "Bonjour, j'ai été débité deux fois 💳💳 pour la réservation QX7P2L"
    assert text.created_at == datetime.fromtimestamp(1773483000.123, tz=UTC)
    assert attachments.reply_to_platform_id == "m_AbCdEf001"
    assert [(a.kind, a.url) for a in attachments.attachments] == [
        ("image", "https://scontent.xx.fbcdn.net/v/receipt.png"), ("file", "https://cdn.fbsbx.com/v/facture.pdf")]
    assert echo.is_own and echo.thread_key == "7100000000000042" and echo.author.platform_user_id == PAGE
    assert thanks.extra["quick_reply_payload"] == "CSAT_5"
    assert postback.text == "Talk to an agent" and postback.extra["postback_payload"] == "AGENT"
    (delivered,) = parsed.statuses
    assert delivered.platform_message_id == "m_AbCdEf003" and delivered.status == "delivered"
    assert any("read" in reason for reason in parsed.skipped)


def test_entries_for_another_page_are_skipped() -> None:
    other = AccountContext(4, 1, "facebook", "999", secrets={"app_secret": APP_SECRET})
    parsed = CONNECTOR.parse(other, fixture_bytes("facebook", "feed_batch.json"))
    assert parsed.messages == () and all("not for this account" in s for s in parsed.skipped)


def test_a_malformed_change_does_not_lose_the_rest_of_the_batch() -> None:
    data = fixture("facebook", "feed_batch.json")
    data["entry"][0]["changes"][0]["value"]["created_time"] = "yesterday"
    parsed = CONNECTOR.parse(account(), json.dumps(data).encode())
    assert len(parsed.messages) == 2
    assert any("created_time" in reason for reason in parsed.skipped)


@pytest.mark.parametrize("body", [b"", b"null", b'{"object": "page"}', b'{"object": "page", "entry": [1]}',
                                  b'{"object": "page", "entry": [{"id": "104000000000001", "messaging": '
                                  b'[{"sender": {}}]}]}', b"\xc3\x28"])
def test_broken_deliveries_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(name=st.sampled_from(["feed_batch.json", "messenger_batch.json", "feed_remove.json"]),
       path=st.lists(st.integers(0, 20), max_size=7), value=json_values)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("facebook", name), path, value)).encode()
    CONNECTOR.verify(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


# --- outbound ---------------------------------------------------------------------------------

def reply(visibility: Visibility = Visibility.PUBLIC, **extra: Any) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k1", text="Nous sommes désolés 🙏 nous vous écrivons en privé.", visibility=visibility,
        thread_key=f"{PAGE}_555000000000001" if visibility is Visibility.PUBLIC else "7100000000000042",
        reply_to_platform_id="555000000000001_900000000000001",
        recipient=Author(platform_user_id="7100000000000042"), extra=extra)


def test_reply_to_a_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/v25.0/555000000000001_900000000000001/comments",
           Reply(200, fixture("facebook", "comment_200.json")))
    result = CONNECTOR.send(account(api), reply(), http)
    assert result.platform_message_id == "555000000000001_900000000000555"
    request = api.only()
    assert request.json() == {"message": "Nous sommes désolés 🙏 nous vous écrivons en privé."}
    assert request.headers["authorization"] == "Bearer page-token"
    assert "appsecret_proof" in request.query


def test_messenger_reply_inside_24_hours_is_a_response(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    last = datetime.now(UTC) - timedelta(hours=2)
    result = CONNECTOR.send(account(api), reply(Visibility.PRIVATE, last_customer_message_at=last), http)
    assert result.platform_message_id == "m_SentByCompris01" and result.thread_key == "7100000000000042"
    assert api.only().json() == {"recipient": {"id": "7100000000000042"}, "messaging_type": "RESPONSE",
                                 "message": {"text": "Nous sommes désolés 🙏 nous vous écrivons en privé."}}


def test_messenger_reply_after_24_hours_uses_the_human_agent_tag(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    last = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    CONNECTOR.send(account(api), reply(Visibility.PRIVATE, last_customer_message_at=last), http)
    body = api.only().json()
    assert body["messaging_type"] == "MESSAGE_TAG" and body["tag"] == "HUMAN_AGENT"


def test_messenger_reply_after_7_days_is_refused_locally(api: StandIn, http: httpx.Client) -> None:
    last = datetime.now(UTC) - timedelta(days=8)
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(Visibility.PRIVATE, last_customer_message_at=last), http)
    assert not caught.value.retryable and "7 days" in caught.value.reason
    assert api.requests == []


def test_private_reply_to_a_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    CONNECTOR.send(account(api), reply(Visibility.PRIVATE,
                                       private_reply_to_comment="555000000000001_900000000000001"), http)
    assert api.only().json() == {"recipient": {"comment_id": "555000000000001_900000000000001"},
                                 "message": {"text": "Nous sommes désolés 🙏 nous vous écrivons en privé."}}


def test_second_private_reply_is_refused_by_the_platform(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(400, fixture("facebook", "error_already_replied.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(Visibility.PRIVATE, private_reply_to_comment="c1"), http)
    assert not caught.value.retryable and "Activity already replied to" in caught.value.reason


def test_private_reply_after_7_days_is_refused_locally(api: StandIn, http: httpx.Client) -> None:
    created = datetime.now(UTC) - timedelta(days=7, minutes=1)
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), reply(Visibility.PRIVATE, private_reply_to_comment="c1",
                                           comment_created_at=created), http)
    assert api.requests == []


def test_outside_window_error_keeps_metas_words(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{PAGE}/messages", Reply(400, fixture("facebook", "error_outside_window.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(Visibility.PRIVATE), http)
    assert not caught.value.retryable
    assert "sent outside of allowed window" in caught.value.reason and "subcode 2018278" in caught.value.reason


def test_page_rate_limit_is_retryable_with_the_usage_wait(api: StandIn, http: httpx.Client) -> None:
    usage = json.dumps({PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]})
    api.on("POST", "/v25.0/555000000000001_900000000000001/comments",
           Reply(400, fixture("facebook", "error_rate_limit.json"), headers={"x-business-use-case-usage": usage}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), http)
    assert caught.value.retryable and caught.value.retry_after == 120
    assert "Page request limit reached" in caught.value.reason


def test_429_and_500(api: StandIn, http: httpx.Client) -> None:
    path = "/v25.0/555000000000001_900000000000001/comments"
    api.on("POST", path, Reply(429, fixture("facebook", "error_rate_limit.json"), headers={"retry-after": "9"}),
           Reply(500, fixture("facebook", "error_500.json")))
    with pytest.raises(SendError) as first:
        CONNECTOR.send(account(api), reply(), http)
    assert first.value.retryable and first.value.retry_after == 9
    with pytest.raises(SendError) as second:
        CONNECTOR.send(account(api), reply(), http)
    assert second.value.retryable and "An unknown error occurred" in second.value.reason


def test_timeout_is_retryable(api: StandIn) -> None:
    api.on("POST", "/v25.0/555000000000001_900000000000001/comments", Reply(200, {"id": "x"}, delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), quick)
    assert caught.value.retryable


def test_reply_window() -> None:
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    inside = CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(hours=3), now)
    assert inside.open and inside.reason is None and inside.closes_at == now + timedelta(hours=21)
    tagged = CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(days=2), now)
    assert tagged.open and tagged.reason and "HUMAN_AGENT" in tagged.reason
    closed = CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(days=8), now)
    assert not closed.open and closed.reason and "7 days" in closed.reason
    assert CONNECTOR.reply_window(Visibility.PUBLIC, None, now).open


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/v25.0/me", Reply(200, fixture("facebook", "me_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == "connected to the page Air Compris (104000000000001)"
