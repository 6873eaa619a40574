"""Survey answers on WhatsApp: reply buttons (up to 3), a list message (up to 10), else the text; the tapped
button or row back as ``extra["choice"]``."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import Attachment, Choice, SendError, Visibility
from compris.connectors.whatsapp import WhatsAppConnector

from ..choices import RATINGS, THREE
from ..standin import Reply, StandIn
from .test_whatsapp import NUMBER, account, message

CONNECTOR = WhatsAppConnector()
QUESTION = "Comment avez-vous trouvé notre aide ?"


def sent(api: StandIn, http: httpx.Client, *choices: Choice) -> dict[str, object]:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(200, fixture("whatsapp", "send_200.json")))
    result = CONNECTOR.send(account(api), dataclasses.replace(message(wa_id="33612345678"), text=QUESTION,
                                                              choices=choices), http)
    assert result.platform_message_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJPVVRCT1VORDAz"
    body: dict[str, object] = api.only().json()
    return body


def test_up_to_three_choices_are_reply_buttons(api: StandIn, http: httpx.Client) -> None:
    assert sent(api, http, *THREE) == {
        "messaging_product": "whatsapp", "to": "33612345678", "type": "interactive",
        "interactive": {"type": "button", "body": {"text": QUESTION}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": c.payload, "title": c.label}} for c in THREE]}},
        "context": {"message_id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx"},
        "biz_opaque_callback_data": "reply-42"}


def test_five_choices_are_a_list_message(api: StandIn, http: httpx.Client) -> None:
    body = sent(api, http, *RATINGS)
    assert body["type"] == "interactive"
    assert body["interactive"] == {"type": "list", "body": {"text": QUESTION}, "action": {
        "button": "Répondre · Reply",
        "sections": [{"rows": [{"id": c.payload, "title": c.label} for c in RATINGS]}]}}


def test_row_titles_are_shortened_to_24_characters(api: StandIn, http: httpx.Client) -> None:
    labels = ["Très satisfait de l'échange", "Satisfait", "Moyennement satisfait", "Pas satisfait",
              "Pas du tout satisfait de la réponse"]
    body = sent(api, http, *(Choice(label, f"csat:9:{n}") for n, label in enumerate(labels)))
    rows = body["interactive"]["action"]["sections"][0]["rows"]  # type: ignore[index]
    assert [r["title"] for r in rows] == ["Très satisfait de l'éch…", "Satisfait", "Moyennement satisfait",
                                          "Pas satisfait", "Pas du tout satisfait d…"]


def test_more_than_ten_choices_are_written_in_the_text(api: StandIn, http: httpx.Client) -> None:
    body = sent(api, http, *(Choice(f"{n} / 11", f"nps:{n}") for n in range(11)))
    assert body["type"] == "text"
    assert body["text"] == {"body": QUESTION + "\n\n" + "\n".join(f"- {n} / 11" for n in range(11))}


def test_choices_with_a_file_are_written_in_its_caption(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(200, fixture("whatsapp", "send_200.json")))
    with_file = dataclasses.replace(message(wa_id="33612345678"), text=QUESTION, choices=THREE,
                                    attachments=(Attachment(kind="image", url="https://cdn.example/i.png"),))
    CONNECTOR.send(account(api), with_file, http)
    body = api.only().json()
    assert body["type"] == "image" and body["image"]["caption"].startswith(QUESTION + "\n\n- ⭐⭐⭐⭐⭐: https://")


def test_choices_are_never_public(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), dataclasses.replace(message(), visibility=Visibility.PUBLIC, choices=THREE),
                       http)
    assert api.requests == []


def test_a_tapped_button_and_a_picked_row_are_the_choice() -> None:
    button, row = CONNECTOR.parse(account(), fixture_bytes("whatsapp", "interactive_replies.json")).messages
    assert button.extra["choice"] == "csat:44:3" and button.text == "😐 Moyen"
    assert button.reply_to_platform_id == "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJDU0FUQlVUVE9OUw"
    assert row.extra["choice"] == "csat:45:5" and row.text == "⭐⭐⭐⭐⭐ Excellent"
    assert row.author.platform_user_id == "GB.88119922334455"
