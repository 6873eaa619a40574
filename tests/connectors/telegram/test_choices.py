"""Survey answers on Telegram: an inline keyboard (one button a row, callback_data ≤ 64 bytes), the tapped button
back as a ``callback_query`` whose data is ``extra["choice"]``; too many choices, long payloads or files: the text."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import Choice, SendError, Visibility

from ..attachments import image
from ..choices import RATINGS, THREE
from ..standin import Reply, StandIn
from .test_telegram import CONNECTOR, account, delivery, message, path

QUESTION = "Comment avez-vous trouvé notre aide ?"


def sent(api: StandIn, http: httpx.Client, *choices: Choice, **fields: Any) -> dict[str, Any]:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    CONNECTOR.send(account(api), dataclasses.replace(message(QUESTION, **fields), choices=choices), http)
    body: dict[str, Any] = api.only().json()
    return body


def test_choices_are_an_inline_keyboard(api: StandIn, http: httpx.Client) -> None:
    assert sent(api, http, *RATINGS) == {
        "chat_id": 5512345678, "text": QUESTION,
        "reply_parameters": {"message_id": 412, "allow_sending_without_reply": True},
        "reply_markup": {"inline_keyboard": [[{"text": c.label, "callback_data": c.payload}] for c in RATINGS]}}


def test_long_labels_are_shortened(api: StandIn, http: httpx.Client) -> None:
    body = sent(api, http, Choice("Très satisfait de l'échange avec votre conseiller", "csat:9:5"),
                Choice("Pas satisfait", "csat:9:1"))
    labels = [row[0]["text"] for row in body["reply_markup"]["inline_keyboard"]]
    assert labels == ["Très satisfait de l'échange avec votre…", "Pas satisfait"]


@pytest.mark.parametrize("choices", [
    tuple(Choice(f"{n} / 11", f"nps:{n}") for n in range(11)),  # more than 10 buttons
    (Choice("Oui", "é" * 33), Choice("Non", "n")),  # callback_data over 64 bytes
])
def test_otherwise_the_choices_are_written_in_the_text(api: StandIn, http: httpx.Client,
                                                       choices: tuple[Choice, ...]) -> None:
    body = sent(api, http, *choices)
    assert "reply_markup" not in body and body["text"].startswith(QUESTION + "\n\n- ")


def test_choices_with_a_file_are_written_in_its_caption(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendPhoto"), Reply(200, fixture("telegram", "send_photo_200.json")))
    CONNECTOR.send(account(api), dataclasses.replace(message(QUESTION), choices=THREE,
                                                     attachments=(image(data=True),)), http)
    request = api.only()
    assert b"\xe2\xad\x90\xe2\xad\x90\xe2\xad\x90\xe2\xad\x90\xe2\xad\x90: https://" in request.body
    assert b"reply_markup" not in request.body


def test_choices_are_never_public(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), dataclasses.replace(
            message(visibility=Visibility.PUBLIC, thread_key="-1001987654321"), choices=THREE), http)
    assert api.requests == []


def test_a_tapped_button_is_the_choice_and_is_answered_in_the_webhook_response() -> None:
    body = fixture_bytes("telegram", "callback_query.json")
    (answer,) = CONNECTOR.parse(account(), body).messages
    assert answer.extra["choice"] == "csat:42:4" and answer.text == "⭐⭐⭐⭐"
    assert answer.thread_key == "5512345678" and answer.reply_to_platform_id == "5512345678:430"
    assert answer.platform_message_id == "5512345678:cb:4382bfdwdsb323b2d9"
    assert answer.author.platform_user_id == "5512345678" and answer.visibility is Visibility.PRIVATE
    response = CONNECTOR.acknowledge(account(), delivery(body))
    assert response.status_code == 200 and response.media_type == "application/json"
    assert response.body == b'{"method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9"}'
    # any other update: a plain answer
    assert CONNECTOR.acknowledge(account(), delivery(fixture_bytes("telegram", "message_text.json"))).body == \
        b'{"ok":true}'


def test_a_button_in_a_business_chat_keeps_the_connection() -> None:
    data = fixture("telegram", "callback_query.json")
    data["callback_query"]["message"]["business_connection_id"] = "CONN1"
    import json

    (answer,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert answer.thread_key == "b:CONN1:5512345678" and answer.reply_to_platform_id == "b:CONN1:5512345678:430"
