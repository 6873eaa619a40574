from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
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
from compris.connectors.instagram import InstagramConnector

from ..meta.helpers import APP_SECRET, delivery, json_values, mutate
from ..standin import Reply, StandIn

IG = "17841400000000001"
CONNECTOR = InstagramConnector()


def account(api: StandIn | None = None) -> AccountContext:
    settings_ = {"api_base": f"{api.base_url}/v25.0"} if api else {}
    return AccountContext(account_id=6, workspace_id=1, network="instagram", external_id=IG, settings=settings_,
                          secrets={"app_secret": APP_SECRET, "verify_token": "v", "access_token": "ig-token"})


def test_comments_and_mentions_batch() -> None:
    body = fixture_bytes("instagram", "comments_batch.json")
    CONNECTOR.verify(account(), delivery(body))
    top, reply, ad_comment, mention = CONNECTOR.parse(account(), body).messages
    assert top.platform_message_id == "17900000000000001" and top.thread_key == "18000000000000001"
    assert top.author.handle == "elodie.voyage" and top.author.platform_user_id == "17841405555555555"
    assert top.text == "Vol retardé de 5h et aucune info à bord 😤 #aircompris"
    assert top.reply_to_platform_id == "18000000000000001" and top.extra["top_level"] is True
    assert top.created_at == datetime.fromtimestamp(1773484000, tz=UTC)
    assert reply.reply_to_platform_id == "17900000000000001"
    assert reply.extra["top_level_comment_id"] == "17900000000000001"
    assert ad_comment.promoted and ad_comment.extra["media_product_type"] == "REELS"
    assert mention.extra["mention"] is True and mention.extra["needs_fetch"] is True
    assert mention.platform_message_id == "17900000000000777" and mention.thread_key == "18000000000000555"


def test_direct_messages() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("instagram", "dm_batch.json"))
    story_reply, image = parsed.messages
    assert story_reply.visibility is Visibility.PRIVATE and story_reply.thread_key == "1100000000000042"
    assert story_reply.text == "Vous pouvez m'aider ? 🙏"
    assert story_reply.extra["reply_to_story"]["id"] == "18000000000000900"
    assert story_reply.extra["channel"] == "instagram"
    assert image.attachments[0].kind == "image"
    (deleted,) = parsed.statuses
    assert deleted.status == "deleted"
    assert deleted.platform_message_id == "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAy"


def test_fetch_mention(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{IG}", Reply(200, fixture("instagram", "mentioned_comment_200.json")))
    mention = CONNECTOR.parse(account(), fixture_bytes("instagram", "comments_batch.json")).messages[3]
    full = CONNECTOR.fetch_mention(account(api), mention, http)
    assert full.text == "@aircompris merci pour le surclassement ✨" and full.author.handle == "lea.paris"
    assert full.created_at == datetime(2026, 3, 14, 10, 20, tzinfo=UTC) and full.extra["needs_fetch"] is False
    assert api.only().query["fields"] == "mentioned_comment.comment_id(17900000000000777){text,username,timestamp}"


@given(name=st.sampled_from(["comments_batch.json", "dm_batch.json"]),
       path=st.lists(st.integers(0, 20), max_size=7), value=json_values)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("instagram", name), path, value)).encode()
    CONNECTOR.verify(account(), delivery(body))
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


def outbound(visibility: Visibility, **extra: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="k", text="Désolés pour ce retard 🙏", visibility=visibility,
                           thread_key="18000000000000001", reply_to_platform_id="17900000000000002",
                           recipient=Author(platform_user_id="1100000000000042"), extra=extra)


def test_public_reply_goes_under_the_top_level_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/v25.0/17900000000000001/replies", Reply(200, fixture("instagram", "reply_200.json")))
    result = CONNECTOR.send(account(api), outbound(Visibility.PUBLIC, top_level_comment_id="17900000000000001"), http)
    assert result.platform_message_id == "17900000000000555"
    assert api.only().json() == {"message": "Désolés pour ce retard 🙏"}


def test_direct_message_and_private_reply(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{IG}/messages", Reply(200, fixture("instagram", "send_200.json")))
    CONNECTOR.send(account(api), outbound(Visibility.PRIVATE), http)
    CONNECTOR.send(account(api), outbound(Visibility.PRIVATE, private_reply_to_comment="17900000000000001"), http)
    dm, private_reply = (r.json() for r in api.requests)
    assert dm == {"recipient": {"id": "1100000000000042"}, "messaging_type": "RESPONSE",
                  "message": {"text": "Désolés pour ce retard 🙏"}}
    assert private_reply == {"recipient": {"comment_id": "17900000000000001"},
                             "message": {"text": "Désolés pour ce retard 🙏"}}


def test_platform_window_error(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{IG}/messages", Reply(400, fixture("instagram", "error_private_reply_window.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), outbound(Visibility.PRIVATE, private_reply_to_comment="1"), http)
    assert not caught.value.retryable and "outside of allowed window" in caught.value.reason


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{IG}", Reply(200, fixture("instagram", "me_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == "connected as @aircompris (17841400000000001)"
