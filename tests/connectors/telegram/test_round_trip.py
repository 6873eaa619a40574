"""Telegram through Compris: an update with the secret token → case → the agent's reply → ``sendMessage`` at the
stand-in (with ``reply_parameters``); a Telegram Business message answered with its ``business_connection_id``; a
wrong secret stores nothing; a redelivered update is stored once; a photo's file path resolved by ``getFile``."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from compris.config import Settings
from compris.connectors import fixture, fixture_bytes
from compris.models import Message, RawEvent
from compris.runtime import Runtime
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .test_telegram import BOT_ID, CONNECTION, SECRET, TOKEN, path

HEADERS = {"x-telegram-bot-api-secret-token": SECRET}


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="telegram", external_id=BOT_ID,
                     secrets={"bot_token": TOKEN, "webhook_secret": SECRET},
                     account_settings={"api_base": api.base_url, "bot_username": "AirComprisBot"})


def _update(name: str, key: str, **fields: Any) -> bytes:
    data = fixture("telegram", name)
    data[key].update(date=int(time.time()) - 120, **fields)
    return json.dumps(data).encode()


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_private_message_reply(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    body = _update("message_text.json", "message")

    refused = trip.client.post(f"/webhooks/{trip.account_id}", content=body,
                               headers={"content-type": "application/json",
                                        "x-telegram-bot-api-secret-token": "guess"})
    assert refused.status_code == 401 and _count(runtime, RawEvent) == 0
    refused = trip.client.post(f"/webhooks/{trip.account_id}", content=body,
                               headers={"content-type": "application/json"})
    assert refused.status_code == 401 and _count(runtime, RawEvent) == 0

    trip.deliver(body, HEADERS)
    trip.deliver(body, HEADERS)  # Telegram redelivers until it gets a 2xx: stored once (update_id)
    assert _count(runtime, RawEvent) == 1
    inbound = trip.inbound("5512345678:412")
    assert "valise" in inbound.text and inbound.visibility == "private"

    reply_id = trip.reply("5512345678:412", "Bonjour Élodie, nous localisons votre valise 🧳", "private")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert request.json() == {"chat_id": 5512345678, "text": "Bonjour Élodie, nous localisons votre valise 🧳",
                              "reply_parameters": {"message_id": 412, "allow_sending_without_reply": True}}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == "5512345678:431"

    # the customer edits the message: the new wording joins the same case, marked edited
    trip.deliver(_update("edited_message.json", "edited_message", edit_date=int(time.time())), HEADERS)
    with runtime.db.transaction() as session:
        edited = session.scalars(select(Message).where(
            Message.platform_message_id.like("5512345678:412:edit:%"))).one()
        assert edited.case_id == inbound.case_id and (edited.platform_extra or {}).get("edited") is True


def test_business_message_is_answered_on_behalf_of_the_business(settings: Settings, runtime: Runtime,
                                                                 world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("POST", path("getBusinessConnection"), Reply(200, fixture("telegram", "get_business_connection_200.json")))
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_business_200.json")))
    trip.deliver(_update("business_message.json", "business_message"), HEADERS)
    platform_id = f"b:{CONNECTION}:6623456789:2201"
    assert "breakfast" in trip.inbound(platform_id).text

    reply_id = trip.reply(platform_id, "Yes, breakfast is included 🥐", "private")
    check, send = api.requests
    assert check.path == f"/bot{TOKEN}/getBusinessConnection"
    assert send.path == f"/bot{TOKEN}/sendMessage"
    assert send.json() == {"chat_id": 6623456789, "business_connection_id": CONNECTION,
                           "text": "Yes, breakfast is included 🥐",
                           "reply_parameters": {"message_id": 2201, "allow_sending_without_reply": True}}
    assert trip.message(reply_id).platform_message_id == f"b:{CONNECTION}:6623456789:2204"

    # what the business owner writes in the chat is recorded as our side, in the same case
    trip.deliver(_update("business_message_owner.json", "business_message"), HEADERS)
    own = trip.inbound(f"b:{CONNECTION}:6623456789:2202")
    assert own.case_id == trip.inbound(platform_id).case_id and own.direction != "inbound"

    # the customer deletes the message: flagged deleted on the case, not removed
    trip.deliver(fixture_bytes("telegram", "deleted_business_messages.json"), HEADERS)
    assert trip.inbound(platform_id).deleted_at is not None


def test_a_disabled_business_connection_fails_the_reply_with_its_reason(settings: Settings, runtime: Runtime,
                                                                        world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("POST", path("getBusinessConnection"),
           Reply(200, fixture("telegram", "get_business_connection_disabled.json")))
    trip.deliver(_update("business_message.json", "business_message"), HEADERS)
    reply_id = trip.reply(f"b:{CONNECTION}:6623456789:2201", "Hello", "private")
    failed = trip.message(reply_id)
    assert failed.delivery_state == "failed" and "disabled its connection" in (failed.delivery_error or "")
    assert [r.path for r in api.requests] == [f"/bot{TOKEN}/getBusinessConnection"]


def test_a_photo_gets_its_file_path_and_a_button_is_answered(settings: Settings, runtime: Runtime, world: World,
                                                              api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("POST", path("getFile"), Reply(200, fixture("telegram", "get_file_200.json")))
    trip.deliver(_update("message_photo.json", "message"), HEADERS)
    photo = trip.inbound("5512345678:413")
    files = (photo.platform_extra or {})["files"]
    assert files[0]["file_path"] == "photos/file_12.jpg" and TOKEN not in json.dumps(photo.platform_extra)

    body = fixture("telegram", "callback_query.json")
    response = trip.client.post(f"/webhooks/{trip.account_id}", content=json.dumps(body).encode(),
                                headers={"content-type": "application/json", **HEADERS})
    assert response.status_code == 200
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9"}
    trip.world.run_jobs()
    answer = trip.inbound("5512345678:cb:4382bfdwdsb323b2d9")
    assert (answer.platform_extra or {})["choice"] == "csat:42:4" and answer.case_id == photo.case_id


def test_a_survey_goes_as_buttons_and_the_tap_answers_it(settings: Settings, runtime: Runtime, world: World,
                                                          api: StandIn) -> None:
    from compris.models import Case, CaseStatus, Survey
    from tests.surveys.helpers import configure, set_status

    trip = _trip(settings, runtime, world, api)
    configure(world, channel_account_id=trip.account_id, ask_comment=False)
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    trip.deliver(_update("message_text.json", "message"), HEADERS)
    trip.reply("5512345678:412", "Votre valise arrive ce soir.", "private")
    case_id = trip.inbound("5512345678:412").case_id
    with runtime.db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        number = case.number
    survey_answer = fixture("telegram", "send_message_200.json")
    survey_answer["result"]["message_id"] = 440
    api.on("POST", path("sendMessage"), Reply(200, survey_answer))
    set_status(world, CaseStatus.RESOLVED, number)
    world.run_jobs()
    sent = api.requests[-1].json()
    assert sent["chat_id"] == 5512345678
    buttons = [row[0] for row in sent["reply_markup"]["inline_keyboard"]]
    assert len(buttons) == 5 and all(len(b["callback_data"].encode()) <= 64 for b in buttons)

    tap = fixture("telegram", "callback_query.json")
    tap["callback_query"]["data"] = buttons[0]["callback_data"]
    tap["callback_query"]["message"].update(message_id=440, reply_markup=sent["reply_markup"])
    trip.deliver(json.dumps(tap).encode(), HEADERS)
    with runtime.db.transaction() as session:
        (survey,) = session.scalars(select(Survey)).all()
        assert survey.answered_via == "button" and survey.rating is not None
        assert session.get(Case, case_id).status == CaseStatus.RESOLVED  # type: ignore[union-attr]
