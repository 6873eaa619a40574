"""Bluesky through Compris: the poll job reads the stand-in PDS (notifications and the chat log) → cases → an
agent's public reply is a post record with the customer's post as parent and our post as root, and its facets →
a direct message answered through the chat proxy → a session renewed in the middle of a poll is stored; a poll
whose state was not saved is read again without duplicates, and nothing is missed afterwards."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from compris.config import Settings
from compris.connectors import fixture
from compris.inbox.polling import POLL_ACCOUNT
from compris.kit.crypto import decrypt_json
from compris.models import ChannelAccount, Message, RawEvent
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import SECRET, World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .test_bluesky import BRAND, CONVO, REPLY, REPLY_CID, ROOT, ROOT_CID

X = "/xrpc/"


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="bluesky", external_id=BRAND,
                     secrets={"app_password": "abcd-efgh-ijkl-mnop", "access_jwt": "access-1",
                              "refresh_jwt": "refresh-1"},
                     account_settings={"api_base": api.base_url, "handle": "aircompris.bsky.social"})


def _poll(trip: RoundTrip) -> None:
    with trip.runtime.db.transaction() as session:
        enqueue(session, trip.runtime.publisher, workspace_id=trip.world.workspace_id, kind=POLL_ACCOUNT,
                payload={"account_id": trip.account_id}, dedupe_key=None)
    trip.world.run_jobs()


def _account(trip: RoundTrip) -> ChannelAccount:
    with trip.runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        return account


def _count(trip: RoundTrip, model: Any) -> int:
    with trip.runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _routes(api: StandIn, page: dict[str, Any] | None = None, log: dict[str, Any] | None = None) -> None:
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(200, page or fixture("bluesky", "notifications_page1.json")))
    api.on("GET", X + "app.bsky.actor.getProfiles", Reply(200, fixture("bluesky", "profiles_200.json")))
    api.on("GET", X + "chat.bsky.convo.getLog", Reply(200, log or fixture("bluesky", "chat_log_200.json")),
           Reply(200, fixture("bluesky", "chat_log_empty.json")))
    api.on("GET", X + "chat.bsky.convo.getConvo", Reply(200, fixture("bluesky", "convo_200.json")))


def test_public_reply_and_direct_message(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    _routes(api)
    _poll(trip)
    assert _account(trip).poll_error is None
    post = trip.inbound(REPLY)
    assert "AF1234" in post.text and post.visibility == "public"
    dm = trip.inbound("3lkq3z5o7wk2f")
    assert dm.visibility == "private"
    assert trip.inbound("3lkq3yr2nwc2d").thread_id == dm.thread_id  # one conversation
    assert _count(trip, RawEvent) == 6  # 3 notifications, 3 chat log messages (one deleted: skipped)

    api.clear()
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(200, fixture("bluesky", "create_record_200.json")))
    text = "Bonjour Élodie 😊 votre vol est remboursé : https://aircompris.example/remboursement"
    reply_id = trip.reply(REPLY, text, "public")
    request = api.only()
    assert request.path == X + "com.atproto.repo.createRecord"
    assert request.headers["authorization"] == "Bearer access-1"
    record = request.json()["record"]
    assert record["reply"] == {"root": {"uri": ROOT, "cid": ROOT_CID}, "parent": {"uri": REPLY, "cid": REPLY_CID}}
    assert record["text"] == text and record["langs"] == ["fr"]
    (facet,) = record["facets"]
    raw = text.encode()
    assert raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]] == \
        b"https://aircompris.example/remboursement"
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent"
    assert sent.platform_message_id == fixture("bluesky", "create_record_200.json")["uri"]

    api.clear()
    api.on("POST", X + "chat.bsky.convo.sendMessage", Reply(200, fixture("bluesky", "send_message_200.json")))
    dm_reply = trip.reply("3lkq3z5o7wk2f", "Bonjour Élodie, nous regardons votre réservation 🙏", "private")
    request = api.only()
    assert request.headers["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat"
    assert request.json() == {"convoId": CONVO,
                              "message": {"text": "Bonjour Élodie, nous regardons votre réservation 🙏"}}
    assert trip.message(dm_reply).delivery_state == "sent"
    assert trip.message(dm_reply).platform_message_id == "3lkq4d2ejos2k"


def test_an_expired_token_is_renewed_and_stored(settings: Settings, runtime: Runtime, world: World,
                                                api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    _routes(api)
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(400, fixture("bluesky", "error_expired_token.json")),
           Reply(200, fixture("bluesky", "notifications_page1.json")))
    api.on("POST", X + "com.atproto.server.refreshSession", Reply(200, fixture("bluesky", "session_refresh_200.json")))
    _poll(trip)
    account = _account(trip)
    assert account.poll_error is None
    secrets = decrypt_json(SECRET, account.secrets_encrypted)
    renewed = fixture("bluesky", "session_refresh_200.json")
    assert secrets["access_jwt"] == renewed["accessJwt"] and secrets["refresh_jwt"] == renewed["refreshJwt"]
    assert secrets["app_password"] == "abcd-efgh-ijkl-mnop"
    assert trip.inbound(REPLY).text

    # a send refused for an expired token: the outbox renews the session (stored) and sends again
    api.clear()
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(400, fixture("bluesky", "error_expired_token.json")),
           Reply(200, fixture("bluesky", "create_record_200.json")))
    api.on("POST", X + "com.atproto.server.refreshSession", Reply(200, {
        **renewed, "accessJwt": "access-3", "refreshJwt": "refresh-3"}))
    reply_id = trip.reply(REPLY, "C'est fait !", "public")
    assert trip.message(reply_id).delivery_state == "sent"
    first, refresh, second = api.requests
    assert refresh.headers["authorization"] == f"Bearer {renewed['refreshJwt']}"
    assert second.headers["authorization"] == "Bearer access-3"
    assert first.json()["rkey"] == second.json()["rkey"]  # the same record key on the second try
    assert decrypt_json(SECRET, _account(trip).secrets_encrypted)["refresh_jwt"] == "refresh-3"


def test_a_poll_whose_state_was_lost_has_no_duplicate_and_then_no_gap(settings: Settings, runtime: Runtime,
                                                                      world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    _routes(api)
    _poll(trip)
    state = _account(trip).poll_state
    stored = _count(trip, Message)

    # the worker "crashed" after storing the events of a poll but the state it saved is the one before
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {}
    api.clear()
    _routes(api)
    _poll(trip)
    assert _count(trip, Message) == stored and _count(trip, RawEvent) == 6  # fetched again, stored once
    assert _account(trip).poll_state["notifications"] == state["notifications"]

    # then a new reply arrives: taken, with the ones already stored on the same page left alone
    newer = json.loads(json.dumps(fixture("bluesky", "notifications_page1.json")))
    fresh = dict(newer["notifications"][2], uri=REPLY[:-1] + "f", cid="bafyreifreshreply",
                 indexedAt="2026-03-14T10:05:00.000Z")
    fresh["record"] = dict(fresh["record"], text="Toujours rien ?", createdAt="2026-03-14T10:04:59.000Z")
    newer["notifications"].insert(0, fresh)
    api.clear()
    _routes(api, page=newer, log=fixture("bluesky", "chat_log_empty.json"))
    _poll(trip)
    assert trip.inbound(REPLY[:-1] + "f").text == "Toujours rien ?"
    assert trip.inbound(REPLY[:-1] + "f").thread_id == trip.inbound(REPLY).thread_id  # the same thread (root)
    assert _count(trip, RawEvent) == 7
    assert _account(trip).poll_state["notifications"]["seen_at"] == "2026-03-14T10:05:00.000Z"
    assert _count(trip, Message) == stored + 1
