"""Facebook through Compris: signed deliveries → cases → replies (comments, Messenger with the 24-hour
window and the HUMAN_AGENT tag) → exactly one correct Graph call; deletions; routing between Pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors import fixture
from compris.kit.errors import Invalid
from compris.models import Message
from compris.runtime import Runtime
from tests.conftest import World

from ..meta.helpers import APP_SECRET, sign
from ..roundtrip import RoundTrip, now_ms
from ..standin import Reply, StandIn

PAGE = "104000000000001"
OTHER_PAGE = "104000000000002"
SECRETS = {"app_secret": APP_SECRET, "verify_token": "verify-me", "page_access_token": "page-token"}


def _page(settings: Settings, runtime: Runtime, world: World, api: StandIn, page: str = PAGE,
          workspace_id: int | None = None) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="facebook", external_id=page, secrets=SECRETS,
                     account_settings={"api_base": api.base_url}, workspace_id=workspace_id)


def _signed(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()  # escaped unicode, as Meta sends it
    return body, {"x-hub-signature-256": sign(body)}


def _messenger(age_seconds: float) -> dict[str, Any]:
    """The first Messenger message of the recorded batch, sent ``age_seconds`` ago."""
    data = fixture("facebook", "messenger_batch.json")
    entry = data["entry"][0]
    entry["messaging"] = entry["messaging"][:1]
    entry["time"] = entry["messaging"][0]["timestamp"] = now_ms(-age_seconds)
    return data


def test_messenger_reply_inside_24_hours(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _page(settings, runtime, world, api)
    api.on("POST", f"/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    trip.deliver(*_signed(_messenger(3600)))
    reply_id = trip.reply("m_AbCdEf001", "Bonjour, nous remboursons le second débit aujourd'hui.", "private")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/{PAGE}/messages")
    assert request.headers["authorization"] == "Bearer page-token"
    assert request.query.get("appsecret_proof")
    assert request.json() == {"recipient": {"id": "7100000000000042"}, "messaging_type": "RESPONSE",
                              "message": {"text": "Bonjour, nous remboursons le second débit aujourd'hui."}}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == "m_SentByCompris01"


def test_messenger_reply_after_25_hours_uses_the_human_agent_tag(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _page(settings, runtime, world, api)
    api.on("POST", f"/{PAGE}/messages", Reply(200, fixture("facebook", "send_message_200.json")))
    trip.deliver(*_signed(_messenger(25 * 3600)))
    reply_id = trip.reply("m_AbCdEf001", "Désolés pour l'attente.", "private")
    body = api.only().json()
    assert body["messaging_type"] == "MESSAGE_TAG" and body["tag"] == "HUMAN_AGENT"
    assert trip.message(reply_id).delivery_state == "sent"


def test_messenger_reply_after_8_days_is_refused_before_queuing(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    trip = _page(settings, runtime, world, api)
    trip.deliver(*_signed(_messenger(8 * 86400)))
    with pytest.raises(Invalid, match="7 days"):
        trip.reply("m_AbCdEf001", "Trop tard ?", "private")
    assert api.requests == []
    with runtime.db.transaction() as session:
        assert session.scalar(select(Message.id).where(Message.direction == "outbound")) is None


POST = "104000000000001_555000000000001"


def test_comment_reply_and_deletion(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _page(settings, runtime, world, api)
    comment = "555000000000001_900000000000001"
    api.on("POST", f"/{comment}/comments", Reply(200, fixture("facebook", "comment_200.json")))
    api.on("GET", f"/{POST}", Reply(200, fixture("facebook", "post_200.json")))
    trip.deliver(*_signed(fixture("facebook", "feed_batch.json")))
    # the post the comments are under is read once (its text is not in the feed change), then the reply goes out
    read = api.only()
    assert (read.method, read.path) == ("GET", f"/{POST}") and "message" in read.query["fields"]
    api.requests.clear()
    reply_id = trip.reply(comment, "Élodie, nous retrouvons votre valise : écrivez-nous en privé.", "public")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/{comment}/comments")
    assert request.json() == {"message": "Élodie, nous retrouvons votre valise : écrivez-nous en privé."}
    assert trip.message(reply_id).delivery_state == "sent"

    trip.deliver(*_signed(fixture("facebook", "feed_remove.json")))
    trip.deliver(*_signed(fixture("facebook", "feed_remove.json") | {"resent": True}))  # twice: one event
    deleted = trip.inbound(comment)
    assert deleted.deleted_at is not None and deleted.text == ""  # its author deleted it: the content goes
    assert len(trip.events("message_deleted")) == 1
    page = trip.case_page(1)
    assert "Toujours pas de nouvelles de ma valise" not in page and "Deleted by the customer" in page


def _two_pages_batch() -> dict[str, Any]:
    first = _messenger(60)["entry"][0]
    second = json.loads(json.dumps(first).replace(PAGE, OTHER_PAGE).replace("m_AbCdEf001", "m_Other001"))
    return {"object": "page", "entry": [first, second]}


def test_a_batch_for_two_pages_of_one_app_reaches_both(
    settings: Settings, runtime: Runtime, world: World, api: StandIn, world_factory: Any
) -> None:
    first = _page(settings, runtime, world, api)
    second = _page(settings, runtime, world, api, page=OTHER_PAGE)
    stranger_world = world_factory("globex")
    stranger = _page(settings, runtime, stranger_world, api, page=OTHER_PAGE, workspace_id=stranger_world.workspace_id)
    first.deliver(*_signed(_two_pages_batch()))  # Meta's one callback URL: the first page's
    assert first.inbound("m_AbCdEf001").channel_account_id == first.account_id
    routed = second.inbound("m_Other001", account_id=second.account_id)
    assert routed.workspace_id == world.workspace_id
    with runtime.db.transaction() as session:  # never into another workspace, never twice
        assert session.scalar(select(Message.id).where(Message.channel_account_id == stranger.account_id)) is None
        assert len(list(session.scalars(select(Message.id).where(Message.platform_message_id == "m_Other001")))) == 1


def test_routing_needs_the_siblings_own_secret(
    settings: Settings, runtime: Runtime, world: World, api: StandIn
) -> None:
    first = _page(settings, runtime, world, api)
    other = RoundTrip(settings, runtime, world, network="facebook", external_id=OTHER_PAGE,
                      secrets={**SECRETS, "app_secret": "another-app"}, account_settings={"api_base": api.base_url})
    first.deliver(*_signed(_two_pages_batch()))
    with runtime.db.transaction() as session:
        assert session.scalar(select(Message.id).where(Message.channel_account_id == other.account_id)) is None
