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
from compris.connectors.whatsapp import WhatsAppConnector

from ..meta.helpers import APP_SECRET, delivery, json_values, mutate
from ..standin import Reply, StandIn

NUMBER = "106540352242922"
CONNECTOR = WhatsAppConnector()


def account(api: StandIn | None = None, number: str = NUMBER) -> AccountContext:
    settings_ = {"api_base": f"{api.base_url}/v25.0"} if api else {}
    return AccountContext(account_id=5, workspace_id=1, network="whatsapp", external_id=number, settings=settings_,
                          secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "wa-token"})


def test_batched_messages() -> None:
    body = fixture_bytes("whatsapp", "messages_batch.json")
    CONNECTOR.verify(account(), delivery(body))
    text, image, document = CONNECTOR.parse(account(), body).messages
    assert text.platform_message_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx"
    assert text.author.platform_user_id == "FR.1349120865530274"  # keyed by BSUID, not phone
    assert text.thread_key == "FR.1349120865530274"
    assert text.author.name == "Élodie Marchand" and text.author.handle == "+33612345678"
    assert text.extra["wa_id"] == "33612345678" and text.extra["bsuid"] == "FR.1349120865530274"
    assert text.text == "Bonjour 👋 ma valise n'est pas arrivée à Nice"
    assert text.created_at == datetime.fromtimestamp(1773483000, tz=UTC)
    assert text.visibility is Visibility.PRIVATE
    # a username user without a phone number
    assert image.author.platform_user_id == "GB.88119922334455" and image.author.handle == "sam.travels"
    assert image.extra["wa_id"] is None
    assert image.reply_to_platform_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJPVVRCT1VORDAx"
    assert image.text == "Receipt for the hotel 🏨"
    assert image.attachments[0].kind == "image" and image.attachments[0].mime_type == "image/jpeg"
    assert image.extra["media"][0]["id"] == "1479537139650973"
    # no BSUID: keyed by wa_id
    assert document.author.platform_user_id == "33698765432"
    assert document.attachments[0].name == "facture_été.pdf"


def test_statuses() -> None:
    delivered, failed = CONNECTOR.parse(account(), fixture_bytes("whatsapp", "statuses.json")).statuses
    assert delivered.status == "delivered" and delivered.at == datetime.fromtimestamp(1773483200, tz=UTC)
    assert failed.status == "failed" and failed.reason is not None
    assert "more than 24 hours" in failed.reason and "131047" in failed.reason


def test_messages_for_another_number_are_skipped() -> None:
    parsed = CONNECTOR.parse(account(number="999"), fixture_bytes("whatsapp", "messages_batch.json"))
    assert parsed.messages == () and len(parsed.skipped) == 3


@pytest.mark.parametrize("kind,body,expected", [
    ("interactive", {"type": "button_reply", "button_reply": {"id": "yes", "title": "Oui, merci"}}, "Oui, merci"),
    ("button", {"payload": "STOP", "text": "Stop promotions"}, "Stop promotions"),
    ("location", {"latitude": 43.66, "longitude": 7.21, "name": "Aéroport Nice"}, "Aéroport Nice (43.66, 7.21)"),
    ("reaction", {"message_id": "wamid.X", "emoji": "👍"}, "👍"),
])
def test_other_message_types(kind: str, body: dict[str, Any], expected: str) -> None:
    data = fixture("whatsapp", "messages_batch.json")
    message = data["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message["type"], message[kind] = kind, body
    parsed = CONNECTOR.parse(account(), json.dumps(data).encode())
    assert parsed.messages[0].text == expected


@pytest.mark.parametrize("body", [b"{}", b'{"object": "whatsapp_business_account", "entry": [{"changes": '
                                  b'[{"field": "messages", "value": {"messages": [{"id": "w", "type": "text"}]}}]}]}'])
def test_broken_deliveries_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(name=st.sampled_from(["messages_batch.json", "statuses.json"]),
       path=st.lists(st.integers(0, 20), max_size=8), value=json_values)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("whatsapp", name), path, value)).encode()
    CONNECTOR.verify(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


def message(**extra: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="reply-42", text="Nous avons retrouvé votre valise 🎉",
                           visibility=Visibility.PRIVATE,
                           thread_key="FR.1349120865530274",
                           reply_to_platform_id="wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx",
                           recipient=Author(platform_user_id="FR.1349120865530274"), extra=extra)


def test_send_text_with_context(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(200, fixture("whatsapp", "send_200.json")))
    result = CONNECTOR.send(account(api), message(wa_id="33612345678"), http)
    assert result.platform_message_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJPVVRCT1VORDAz"
    request = api.only()
    assert request.headers["authorization"] == "Bearer wa-token"
    assert request.json() == {"messaging_product": "whatsapp", "to": "33612345678", "type": "text",
                              "text": {"body": "Nous avons retrouvé votre valise 🎉"},
                              "context": {"message_id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx"},
                              "biz_opaque_callback_data": "reply-42"}


def test_send_to_a_bsuid_when_no_phone_is_known(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(200, fixture("whatsapp", "send_200.json")))
    CONNECTOR.send(account(api), message(), http)
    assert api.only().json()["to"] == "FR.1349120865530274"


@pytest.mark.parametrize("payload,wait", [("error_130429.json", None), ("error_131056.json", 6.0)])
def test_rate_limits_are_retryable(api: StandIn, http: httpx.Client, payload: str, wait: float | None) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(400, fixture("whatsapp", payload)))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable and caught.value.retry_after == wait
    assert "rate limit" in caught.value.reason


def test_outside_window_is_not_retryable(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(400, fixture("whatsapp", "error_131047.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert not caught.value.retryable and "more than 24 hours" in caught.value.reason


def test_public_messages_do_not_exist(api: StandIn, http: httpx.Client) -> None:
    public = OutboundMessage("k", "x", Visibility.PUBLIC, "t", None, None)
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), public, http)
    assert api.requests == []


def test_reply_window() -> None:
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    assert CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(hours=23), now).open
    closed = CONNECTOR.reply_window(Visibility.PRIVATE, now - timedelta(hours=25), now)
    assert not closed.open and closed.reason and "template" in closed.reason
    assert closed.closes_at == now - timedelta(hours=1)


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{NUMBER}", Reply(200, fixture("whatsapp", "phone_number_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == \
        "connected to +33 1 80 00 00 00 (Air Compris, quality GREEN)"
