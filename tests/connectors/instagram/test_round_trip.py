"""Instagram through Compris: a signed DM delivery → case → private reply → one Send API call; a DM the
customer unsent shows struck through."""

from __future__ import annotations

import json

from compris.config import Settings
from compris.connectors import fixture
from compris.runtime import Runtime
from tests.conftest import World

from ..meta.helpers import APP_SECRET, sign
from ..roundtrip import RoundTrip, now_ms
from ..standin import Reply, StandIn

IG = "17841400000000001"
FIRST = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw"


def test_dm_reply_round_trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = RoundTrip(settings, runtime, world, network="instagram", external_id=IG,
                     secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "ig-token"},
                     account_settings={"api_base": api.base_url})
    api.on("POST", f"/{IG}/messages", Reply(200, fixture("instagram", "send_200.json")))
    data = fixture("instagram", "dm_batch.json")
    for i, event in enumerate(data["entry"][0]["messaging"]):
        event["timestamp"] = now_ms(-600 + i)
    body = json.dumps(data).encode()
    trip.deliver(body, {"x-hub-signature-256": sign(body)})

    reply_id = trip.reply(FIRST, "Bien sûr ! Quel est votre numéro de réservation ? 🙂", "private")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/{IG}/messages")
    assert request.headers["authorization"] == "Bearer ig-token"
    assert request.json() == {"recipient": {"id": "1100000000000042"}, "messaging_type": "RESPONSE",
                              "message": {"text": "Bien sûr ! Quel est votre numéro de réservation ? 🙂"}}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent"
    assert sent.platform_message_id == "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDk5"

    # the customer unsends their first DM
    unsent = {"object": "instagram", "entry": [{"id": IG, "time": now_ms(), "messaging": [
        {"sender": {"id": "1100000000000042"}, "recipient": {"id": IG}, "timestamp": now_ms(),
         "message": {"mid": FIRST, "is_deleted": True}}]}]}
    body = json.dumps(unsent).encode()
    trip.deliver(body, {"x-hub-signature-256": sign(body)})
    assert trip.inbound(FIRST).deleted_at is not None
    assert "Deleted by the customer" in trip.case_page(1)


def test_a_mention_is_completed_from_the_graph_api_before_it_reaches_the_inbox(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    # given a delivery whose mention arrives without its text (Instagram sends only ids)
    trip = RoundTrip(settings, runtime, world, network="instagram", external_id=IG,
                     secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "ig-token"},
                     account_settings={"api_base": api.base_url})
    api.on("GET", f"/{IG}", Reply(200, fixture("instagram", "mentioned_comment_200.json")))
    body = json.dumps(fixture("instagram", "comments_batch.json")).encode()
    # when it is delivered and processed
    trip.deliver(body, {"x-hub-signature-256": sign(body)})
    # then the mention in the inbox carries the text and author fetched from the Graph API, in one call
    mention = trip.inbound("17900000000000777")
    assert mention.text == "@aircompris merci pour le surclassement ✨"
    assert mention.platform_extra.get("needs_fetch") is False
    (request,) = [r for r in api.requests if r.path == f"/{IG}"]  # (the media commented on is read apart)
    assert request.query["fields"] == "mentioned_comment.comment_id(17900000000000777){text,username,timestamp}"
