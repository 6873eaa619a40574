"""Survey answers on VK: an inline keyboard in the message (up to 10 buttons), else the text; the tapped button
back as ``extra["choice"]``; a community without bot capabilities gets the choices written in the text."""

from __future__ import annotations

import dataclasses
import json

import httpx

from compris.connectors import fixture
from compris.connectors.base import Choice, OutboundMessage
from compris.connectors.vk import VKConnector

from ..choices import RATINGS
from ..standin import Reply, StandIn
from .test_vk import CONNECTOR, account, form_of, private

QUESTION = "Как вы оцениваете нашу помощь?"


def survey(*choices: Choice, **extra: object) -> OutboundMessage:
    return dataclasses.replace(private(**extra), text=QUESTION, choices=choices, reply_to_platform_id=None)


def test_five_ratings_are_an_inline_keyboard(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    CONNECTOR.send(account(api), survey(*RATINGS), http)
    form = form_of(api.only())
    assert form["message"] == QUESTION
    keyboard = json.loads(form["keyboard"])
    assert keyboard["inline"] is True and len(keyboard["buttons"]) == 5
    first = keyboard["buttons"][0][0]
    assert first["action"] == {"type": "text", "label": "⭐⭐⭐⭐⭐", "payload": json.dumps({"choice": "csat:42:5"})}


def test_more_than_six_choices_go_two_per_row_and_more_than_ten_in_the_text(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    CONNECTOR.send(account(api), survey(*(Choice(str(n), f"nps:{n}") for n in range(8))), http)
    rows = json.loads(form_of(api.requests[-1])["keyboard"])["buttons"]
    assert [len(r) for r in rows] == [2, 2, 2, 2]
    CONNECTOR.send(account(api), survey(*(Choice(str(n), f"nps:{n}") for n in range(11))), http)
    form = form_of(api.requests[-1])
    assert "keyboard" not in form and form["message"].startswith(QUESTION) and "- 10" in form["message"]


def test_long_labels_are_shortened_to_40_characters(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    label = "Очень доволен, всё решили быстро и вежливо, спасибо"
    CONNECTOR.send(account(api), survey(Choice(label, "a"), Choice("Нет", "b")), http)
    button = json.loads(form_of(api.only())["keyboard"])["buttons"][0][0]
    assert len(button["action"]["label"]) == 40 and button["action"]["label"].endswith("…")


def test_a_client_without_inline_keyboards_gets_the_text(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(200, fixture("vk", "messages_send_200.json")))
    CONNECTOR.send(account(api), survey(*RATINGS, client_info={"inline_keyboard": False}), http)
    form = form_of(api.only())
    assert "keyboard" not in form and "https://compris.example/s/tok?r=5" in form["message"]


def test_bot_capabilities_off_falls_back_to_the_text_with_the_same_random_id(api: StandIn, http: httpx.Client) -> None:
    refused = {"error": {"error_code": 912, "error_msg": "This is a chat bot feature, change this status in settings"}}
    api.on("POST", "/method/messages.send", Reply(200, refused), Reply(200, fixture("vk", "messages_send_200.json")))
    result = CONNECTOR.send(account(api), survey(*RATINGS), http)
    assert result.platform_message_id == "4017"
    first, second = (form_of(r) for r in api.requests)
    assert "keyboard" in first and "keyboard" not in second
    assert first["random_id"] == second["random_id"]
    assert second["message"].startswith(QUESTION) and "⭐⭐⭐" in second["message"]


def test_the_tapped_button_comes_back_as_the_choice() -> None:
    data = fixture("vk", "message_new_ru.json")
    data["object"]["message"].update(text="⭐⭐⭐⭐", payload=json.dumps({"choice": "csat:42:4"}), attachments=[])
    (message,) = VKConnector().parse(account(), json.dumps(data).encode()).messages
    assert message.extra["choice"] == "csat:42:4" and message.text == "⭐⭐⭐⭐"
    data["object"]["message"]["payload"] = '{"command":"start"}'  # VK's own Start button: no choice
    (start,) = VKConnector().parse(account(), json.dumps(data).encode()).messages
    assert "choice" not in start.extra and start.extra["payload"] == '{"command":"start"}'


def test_choices_rules() -> None:
    rules = VKConnector.limits.choices
    assert rules.buttons and rules.max_choices == 10 and rules.label_length == 40 and rules.window is None
