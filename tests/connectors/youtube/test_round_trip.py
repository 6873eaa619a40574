"""YouTube through Compris on both databases: the poll job reads the stand-in's comment threads → cases → an
agent's public reply → the send job posts comments.insert with the top-level comment as parentId (a 401 first: the
access token is renewed and the reply sent again) → the next poll sees our reply as our own, and a restart from an
unsaved state stores nothing twice. The admin page shows the day's quota, in French for a French admin."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from compris.channels.accounts import context
from compris.config import Settings
from compris.connectors import fixture
from compris.inbox.polling import POLL_ACCOUNT
from compris.models import ChannelAccount, Message, RawEvent, User
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import SECRET, World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn

CHANNEL = "UCx9yRcPl0Ztv7vKmqJ4zYbw"
T1 = "UgzT1lostBag9x8y7z6w5v4AaABAg"
T2 = "UgyT2refundQ1w2e3r4t5y6AaABAg"


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
        return len(list(session.scalars(select(RawEvent.id))))


def _page_with(*extra: dict[str, Any]) -> dict[str, Any]:
    page = copy.deepcopy(fixture("youtube", "comment_threads_page1.json"))
    page.pop("nextPageToken")
    if extra:
        replies = page["items"][0].setdefault("replies", {"comments": []})["comments"]
        replies.extend(extra)
        page["items"][0]["snippet"]["totalReplyCount"] = len(replies)
    return page


def test_comment_reply_and_token_renewal(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = RoundTrip(settings, runtime, world, network="youtube", external_id=CHANNEL,
                     secrets={"client_secret": "csecret", "refresh_token": "1//refresh", "access_token": "ya29.old"},
                     account_settings={"api_base": api.base_url, "token_url": f"{api.base_url}/token",
                                       "client_id": "cid.apps.googleusercontent.com"})
    api.on("GET", "/commentThreads", Reply(200, _page_with()))
    api.on("GET", "/videos", Reply(200, fixture("youtube", "videos_list.json")))
    _poll(trip)
    assert _account(trip).poll_error is None
    inbound = trip.inbound(T1)
    assert "valise" in inbound.text and inbound.visibility == "public"
    answer = trip.inbound(f"{T2}.A2customer0002")  # a customer answering our reply: in the thread of T2
    assert answer.thread_id == trip.inbound(T2).thread_id
    assert _account(trip).poll_state["quota"]["poll_units"] == 2
    stored = _raw_events(trip)

    # the reply: YouTube refuses the old token once, Compris renews it and posts the reply again
    api.clear()
    sent_body = fixture("youtube", "comment_insert_200.json")
    api.on("POST", "/comments", Reply(401, fixture("youtube", "error_401.json")), Reply(200, sent_body))
    api.on("POST", "/token", Reply(200, fixture("youtube", "token_200.json")))
    reply_id = trip.reply(T1, "Bonjour Élodie, nous localisons votre valise.", "public")
    assert [(r.method, r.path) for r in api.requests] == [("POST", "/comments"), ("POST", "/token"),
                                                          ("POST", "/comments")]
    first, token, second = api.requests
    assert first.headers["authorization"] == "Bearer ya29.old"
    assert b"grant_type=refresh_token" in token.body and b"refresh_token=1%2F%2Frefresh" in token.body
    assert second.headers["authorization"] == "Bearer ya29.a0AfB_byFreshToken"
    assert second.query == {"part": "snippet"}
    assert second.json() == {"snippet": {"parentId": T1,
                                         "textOriginal": "Bonjour Élodie, nous localisons votre valise."}}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id == f"{T1}.B9ourNewReply01"
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        assert context(account, SECRET).secrets["access_token"] == "ya29.a0AfB_byFreshToken"

    # the next poll lists our reply (an echo of what we sent: not stored twice) and the customer's thanks
    ours = copy.deepcopy(sent_body)
    ours["snippet"]["videoId"] = "dQ8w9WgXcQa"
    thanks = copy.deepcopy(fixture("youtube", "comment_threads_page1.json")["items"][1]["replies"]["comments"][1])
    thanks["id"] = f"{T1}.C1thanks"
    thanks["snippet"].update(parentId=T1, textDisplay="Merci !", textOriginal="Merci !",
                             authorDisplayName="@elodie.marchand",
                             authorChannelId={"value": "UCe1odieMarchand0000AbCd"},
                             publishedAt="2026-03-14T10:20:00Z", updatedAt="2026-03-14T10:20:00Z")
    ours["snippet"].update(publishedAt="2026-03-14T10:00:05Z", updatedAt="2026-03-14T10:00:05Z")
    api.clear()
    api.on("GET", "/commentThreads", Reply(200, _page_with(ours, thanks)))
    api.on("GET", "/videos", Reply(200, fixture("youtube", "videos_list.json")))
    before = dict(_account(trip).poll_state)
    before["last_poll"] = None  # a minute later
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = before
    _poll(trip)
    assert api.requests[0].headers["authorization"] == "Bearer ya29.a0AfB_byFreshToken"
    merci = trip.inbound(f"{T1}.C1thanks")
    assert merci.case_id == inbound.case_id and merci.text == "Merci !"
    with runtime.db.transaction() as session:
        ours_stored = list(session.scalars(select(Message).where(
            Message.platform_message_id == f"{T1}.B9ourNewReply01")))
    assert [m.id for m in ours_stored] == [reply_id]  # our reply, seen again: one message
    after_second = _raw_events(trip)
    assert after_second == stored + 2

    # a restart from the state before that poll (as if it had not been saved): the same events, stored once; this
    # time the access token has expired: the poll renews it and Compris stores the new one with the events
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = before
    api.clear()
    api.on("GET", "/commentThreads", Reply(401, fixture("youtube", "error_401.json")),
           Reply(200, _page_with(ours, thanks)))
    api.on("GET", "/videos", Reply(200, fixture("youtube", "videos_list.json")))
    api.on("POST", "/token", Reply(200, {**fixture("youtube", "token_200.json"), "access_token": "ya29.third"}))
    _poll(trip)
    assert _account(trip).poll_error is None
    assert [r.path for r in api.requests][:3] == ["/commentThreads", "/token", "/commentThreads"]
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        assert context(account, SECRET).secrets["access_token"] == "ya29.third"
    assert _raw_events(trip) == after_second
    with runtime.db.transaction() as session:
        assert len(list(session.scalars(select(Message.id).where(
            Message.platform_message_id == f"{T1}.C1thanks")))) == 1

    # the admin page shows the quota, in the admin's language
    with runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        admin.language = "fr"
    from tests.web.test_pages import Agent

    page = Agent(trip.client, world.admin.email).get(f"/admin/channels/{trip.account_id}").text
    assert "Quota YouTube aujourd'hui" in page and "sur 10\u202f000 unités" in page
