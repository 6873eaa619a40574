"""Mastodon through Compris: the poll job reads the notifications from the stand-in (REST, then the streaming API)
→ cases → an agent's public reply (``in_reply_to_id``, the answered visibility, ``Idempotency-Key``) and a direct
message answered with ``visibility=direct`` naming the customer; the instance's own character limit reaches the
reply box, the guard and the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from compris.config import Settings
from compris.connectors import fixture
from compris.inbox.polling import POLL_ACCOUNT
from compris.kit.errors import Invalid
from compris.models import Case, ChannelAccount, RawEvent
from compris.replies.context import situation
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .helpers import NOTIFICATIONS, OWN_ID, STATUSES, STREAM, TOKEN, EventStream, page, sse

MENTION = "112345678901234567"
DM = "112345690000000001"
REPLY = "112345700000000009"


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn, **more: str) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="mastodon", external_id=OWN_ID,
                     secrets={"access_token": TOKEN},
                     account_settings={"api_base": api.base_url, "max_characters": "1000", **more})


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


def _raw_events(trip: RoundTrip) -> int:
    with trip.runtime.db.transaction() as session:
        return int(session.scalar(select(func.count(RawEvent.id))) or 0)


def test_mentions_and_direct_messages_round_trip(settings: Settings, runtime: Runtime, world: World,
                                                 api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("GET", NOTIFICATIONS, Reply(200, page()[1:]))
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")),
           Reply(200, dict(fixture("mastodon", "status_200.json"), id="112345710000000200", visibility="direct")))
    _poll(trip)
    assert _account(trip).poll_error is None
    assert _account(trip).poll_state == {"cursor": "40230"}
    mention, dm = trip.inbound(MENTION), trip.inbound(DM)
    assert "AF1234" in mention.text and mention.visibility == "public"
    assert dm.visibility == "private" and "valise" in dm.text
    assert _raw_events(trip) == 2

    # a poll that "crashed" before its state was saved: the same notifications come again, stored once
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {"cursor": "40000"}
    _poll(trip)
    assert _raw_events(trip) == 2 and _account(trip).poll_state == {"cursor": "40230"}

    # the next poll goes on from the saved cursor: the customer's answer joins the first case
    api.on("GET", NOTIFICATIONS, Reply(200, page()[:1]))
    api.requests.clear()
    _poll(trip)
    assert api.only().query["min_id"] == "40230"
    answer = trip.inbound(REPLY)
    assert answer.case_id == mention.case_id and answer.thread_id == mention.thread_id

    # the instance's limit (1000, not Mastodon's default 500) reaches the guard's situation and the reply box
    with runtime.db.transaction() as session:
        case = session.get(Case, mention.case_id)
        assert case is not None
        place = situation(session, case, "public")
        assert place.max_length == 1000 and place.unit == "mastodon"
        assert place.mention == "@elodie@piaille.fr "
        number = case.number
    page_html = trip.case_page(number)
    assert 'data-unit="mastodon"' in page_html and 'data-limit="1000"' in page_html

    api.requests.clear()
    text = "@elodie@piaille.fr Bonjour Élodie, nous regardons votre dossier. " + "Merci. " * 80  # > 500, < 1000
    reply_id = trip.reply(MENTION, text, "public")
    request = api.only()
    assert (request.method, request.path) == ("POST", STATUSES)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert len(request.headers["idempotency-key"]) >= 16
    assert request.json() == {"status": text.strip(), "visibility": "public", "in_reply_to_id": MENTION}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == "112345710000000100"

    api.requests.clear()
    dm_reply = trip.reply(DM, "Votre valise arrive demain à Nice.", "private")
    request = api.only()
    assert request.json() == {"status": "@marc@mastodon.example Votre valise arrive demain à Nice.",
                              "visibility": "direct", "in_reply_to_id": DM}
    assert request.headers["idempotency-key"] != ""
    assert trip.message(dm_reply).delivery_state == "sent"

    with pytest.raises(Invalid, match="at most 1000"):  # the outbox counts Mastodon's way against the instance
        trip.reply(DM, "x" * 1001, "private")


def test_streaming_poll_round_trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api, idle_seconds="5")
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {"cursor": "40211"}
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    api.on("GET", STREAM, EventStream(body=sse(page()[1])))
    _poll(trip)
    assert trip.inbound(DM).visibility == "private"
    assert _account(trip).poll_state == {"cursor": "40230"}
    assert any(r.path == STREAM for r in api.requests)


def test_a_refused_token_is_noted_on_the_account(settings: Settings, runtime: Runtime, world: World,
                                                 api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("GET", NOTIFICATIONS, Reply(401, fixture("mastodon", "error_401.json")))
    _poll(trip)
    account = _account(trip)
    assert account.poll_error and "access token is invalid" in account.poll_error and TOKEN not in account.poll_error
    assert account.poll_state == {}
