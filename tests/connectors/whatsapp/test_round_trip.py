"""WhatsApp through Compris: a signed message → case → reply with ``context.message_id`` → one Cloud API
call → the status webhook for that message lands on the case."""

from __future__ import annotations

import json
from typing import Any

from compris.config import Settings
from compris.connectors import fixture
from compris.runtime import Runtime
from tests.conftest import World

from ..meta.helpers import APP_SECRET, sign
from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn

NUMBER = "106540352242922"
WAMID = "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUFBMDAx"
SENT = "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJPVVRCT1VORDAz"


def _signed(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    return body, {"x-hub-signature-256": sign(body)}


def test_message_reply_and_status(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    import time

    trip = RoundTrip(settings, runtime, world, network="whatsapp", external_id=NUMBER,
                     secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "wa-token"},
                     account_settings={"api_base": api.base_url, "waba_id": "102290129340398"})
    api.on("POST", f"/{NUMBER}/messages", Reply(200, fixture("whatsapp", "send_200.json")))
    data = fixture("whatsapp", "messages_batch.json")
    data["entry"] = data["entry"][:1]
    data["entry"][0]["changes"] = data["entry"][0]["changes"][:1]
    data["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(time.time()) - 120)
    trip.deliver(*_signed(data))
    inbound = trip.inbound(WAMID)
    assert "valise" in inbound.text

    reply_id = trip.reply(WAMID, "Bonjour Élodie, nous localisons votre valise 🧳", "private")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/{NUMBER}/messages")
    assert request.headers["authorization"] == "Bearer wa-token"
    body = request.json()
    assert body["messaging_product"] == "whatsapp" and body["type"] == "text"
    assert body["to"] == "33612345678"  # the number when WhatsApp gave one (else the BSUID)
    assert body["text"] == {"body": "Bonjour Élodie, nous localisons votre valise 🧳"}
    assert body["context"] == {"message_id": WAMID}
    assert trip.message(reply_id).delivery_state == "sent"
    assert trip.message(reply_id).platform_message_id == SENT

    statuses = fixture("whatsapp", "statuses.json")
    value = statuses["entry"][0]["changes"][0]["value"]
    value["statuses"] = [dict(value["statuses"][0], id=SENT, status="read")]
    trip.deliver(*_signed(statuses))
    (event,) = trip.events("delivery_status")
    assert event.data["message_id"] == reply_id and event.data["status"] == "read"
    assert trip.message(reply_id).delivery_state == "read"  # shown on the reply itself
    # a late "delivered" never moves it back
    value["statuses"] = [dict(value["statuses"][0], id=SENT, status="delivered")]
    trip.deliver(*_signed(statuses))
    assert trip.message(reply_id).delivery_state == "read"
