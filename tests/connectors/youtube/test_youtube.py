"""YouTube: the comment poll (cursor without gap or duplicate, replies beyond those a thread carries, watched
threads, video titles, token renewal), the quota (counted, budgeted, paused until the Pacific midnight reset),
parsing and fuzzing, replies with comments.insert and their error codes, the connection check."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes, registry
from compris.connectors.base import (
    AccountContext,
    ConnectorError,
    OutboundMessage,
    PollResult,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.youtube import YouTubeConnector, quota
from compris.kit import clock

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

CHANNEL = "UCx9yRcPl0Ztv7vKmqJ4zYbw"
T1 = "UgzT1lostBag9x8y7z6w5v4AaABAg"
T2 = "UgyT2refundQ1w2e3r4t5y6AaABAg"
T3 = "UgxT3seatsZ9y8x7w6v5u4AaABAg"
T4 = "UgwT4olderA1b2c3d4e5f6AaABAg"
NOW = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
CONNECTOR = YouTubeConnector()


@pytest.fixture(autouse=True)
def frozen() -> Iterator[list[datetime]]:
    at = [NOW]
    clock.set_now(lambda: at[0])
    yield at
    clock.set_now(None)


def account(api: StandIn | None = None, **settings_: Any) -> AccountContext:
    base = {"api_base": api.base_url, "token_url": f"{api.base_url}/token"} if api else {}
    return AccountContext(account_id=7, workspace_id=1, network="youtube", external_id=CHANNEL,
                          settings={"client_id": "cid.apps.googleusercontent.com", **base, **settings_},
                          secrets={"client_secret": "csecret", "refresh_token": "1//refresh",
                                   "access_token": "ya29.old"})


def page1() -> dict[str, Any]:
    return copy.deepcopy(fixture("youtube", "comment_threads_page1.json"))


def serve(api: StandIn, *pages: dict[str, Any]) -> None:
    api.on("GET", "/commentThreads", *(Reply(200, p) for p in pages))
    api.on("GET", "/videos", Reply(200, fixture("youtube", "videos_list.json")))
    api.on("GET", "/comments", Reply(200, fixture("youtube", "comments_replies.json")))


def ids(result: PollResult) -> list[str]:
    return [e.event_id for e in result.events]


def calls(api: StandIn) -> list[str]:
    return [r.path for r in api.requests]


# --- parsing ---------------------------------------------------------------------------------------------------
def test_a_thread_list_parses_into_comments_and_replies() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("youtube", "comment_threads_page1.json"))
    top, _, ours, answer = parsed.messages[:4]
    assert top.platform_message_id == T1 and top.thread_key == T1 and top.visibility is Visibility.PUBLIC
    assert top.author.platform_user_id == "UCe1odieMarchand0000AbCd" and top.author.name == "@elodie.marchand"
    assert top.author.handle == "elodie.marchand" and top.author.avatar_url.startswith("https://yt3.ggpht.com/")
    assert top.text.startswith("Ma valise n'est pas arrivée") and top.reply_to_platform_id is None
    assert top.created_at == datetime(2026, 3, 14, 9, 12, 45, tzinfo=UTC)
    assert top.permalink == f"https://www.youtube.com/watch?v=dQ8w9WgXcQa&lc={T1}"
    assert top.extra["item"] == "comment" and top.extra["can_reply"] is True and top.extra["likeCount"] == 3
    assert ours.is_own and ours.thread_key == T2 and ours.reply_to_platform_id == T2
    assert not answer.is_own and answer.thread_key == T2 and answer.extra["item"] == "reply"
    assert answer.permalink == f"https://www.youtube.com/watch?v=dQ8w9WgXcQa&lc={T2}.A2customer0002"
    edited = parsed.messages[4]  # T3's top-level comment was edited: a message of its own
    assert edited.platform_message_id == f"{T3}@20260314T070230Z" and edited.extra["edited"] is True
    assert len(parsed.messages) == 1 + 3 + 1 + 5


def test_every_fixture_of_comments_parses() -> None:
    for name in ("comment_threads_page1.json", "comment_threads_page2.json"):
        assert CONNECTOR.parse(account(), fixture_bytes("youtube", name)).messages


@pytest.mark.parametrize("body", [b"[]", b"{}", b"nope", b'{"kind": "youtube#video"}',
                                  b'{"kind": "compris#youtubeComment", "thread": {}, "comment": {"id": "c"}}',
                                  b'{"kind": "compris#youtubeComment", "thread": {}, "comment": {"id": "c", '
                                  b'"snippet": {"textDisplay": "hi"}}}'])
def test_broken_bodies_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


def test_a_thread_without_comments_gives_nothing() -> None:
    parsed = CONNECTOR.parse(account(), b'{"kind": "youtube#commentThreadListResponse", "items": '
                                        b'[{"kind": "youtube#commentThread", "id": "t"}, 3]}')
    assert parsed.messages == () and parsed.skipped == ("an item that is not an object",)


def _stored_event() -> dict[str, Any]:
    thread = fixture("youtube", "comment_threads_page1.json")["items"][1]
    return {"kind": "compris#youtubeComment", "channelId": CHANNEL, "videoTitle": "Nos conseils",
            "thread": {"id": thread["id"], "videoId": thread["snippet"]["videoId"], "canReply": True},
            "comment": thread["replies"]["comments"][1]}


@given(name=st.sampled_from(["comment_threads_page1.json", "comment_threads_page2.json", "stored"]),
       path=st.lists(st.integers(0, 20), max_size=9), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    data = _stored_event() if name == "stored" else fixture("youtube", name)
    body = json.dumps(mutate(data, path, value)).encode()
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(path=st.lists(st.integers(0, 20), max_size=9), value=json_values)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_api_answers_never_break_the_poll(path: list[int], value: Any) -> None:
    """Whatever YouTube answers, a poll stores events or fails with a ConnectorError, never another exception
    (in-process transport: the stand-in's protocol checks are the other tests')."""
    answers = {"/commentThreads": mutate(page1(), path, value), "/videos": fixture("youtube", "videos_list.json"),
               "/comments": fixture("youtube", "comments_replies.json")}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answers.get(request.url.path, {})).encode())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client, contextlib.suppress(ConnectorError):
        result = CONNECTOR.poll(account(api_base="http://yt.test"), {"since": "2026-03-14T08:00:00+00:00"},
                                client=client)
        for event in result.events:
            with contextlib.suppress(UnprocessableEvent):
                CONNECTOR.parse(account(), event.body)


# --- polling ---------------------------------------------------------------------------------------------------
def test_first_poll_takes_the_newest_comments_of_one_page(api: StandIn, http: httpx.Client) -> None:
    serve(api, page1())
    result = CONNECTOR.poll(account(api, initial_fetch_limit="4"), {}, client=http)
    assert calls(api) == ["/commentThreads", "/videos"]
    listing = api.requests[0]
    assert listing.query == {"part": "snippet,replies", "allThreadsRelatedToChannelId": CHANNEL, "order": "time",
                             "maxResults": "100", "textFormat": "plainText"}
    assert listing.headers["authorization"] == "Bearer ya29.old"
    assert api.requests[1].query["id"] == "dQ8w9WgXcQa" and api.requests[1].query["part"] == "snippet"
    assert ids(result) == [f"{T2}@2026-03-14T08:30:00Z", f"{T2}.A1ourReply0001@2026-03-14T08:45:10Z",
                           f"{T2}.A2customer0002@2026-03-14T09:05:33Z", f"{T1}@2026-03-14T09:12:45Z"]
    first = CONNECTOR.parse(account(), result.events[-1].body).messages[0]
    assert first.thread_title == "Nos conseils pour voyager léger" and first.platform_message_id == T1
    assert result.state["since"] == "2026-03-14T09:12:45+00:00"
    assert result.state["quota"]["poll_units"] == 2 and result.state["quota"]["replies"] == 1  # our reply: ~50
    assert result.secrets is None


def test_no_gap_and_no_duplicate_across_a_crash(api: StandIn, http: httpx.Client) -> None:
    serve(api, page1())
    first = CONNECTOR.poll(account(api), {}, client=http)
    state = dict(first.state)
    assert CONNECTOR.poll(account(api), state, client=http).events == ()  # a minute later: nothing new

    # a new comment and an edited one arrive; the poll fetches them but "crashes" before its state is saved
    page = page1()
    new_thread = copy.deepcopy(page["items"][0])
    new_thread["id"] = new_thread["snippet"]["topLevelComment"]["id"] = "UgzNEWthread000000000AaABAg"
    new_thread["snippet"]["topLevelComment"]["snippet"].update(publishedAt="2026-03-14T09:58:00Z",
                                                                updatedAt="2026-03-14T09:58:00Z")
    page["items"][0]["snippet"]["topLevelComment"]["snippet"]["updatedAt"] = "2026-03-14T09:59:00Z"
    page["items"].insert(0, new_thread)
    serve(api, page)
    clock.set_now(lambda: NOW + timedelta(minutes=2))
    lost = CONNECTOR.poll(account(api), state, client=http)
    again = CONNECTOR.poll(account(api), state, client=http)  # the restart polls from the old state
    expected = [f"{T1}@2026-03-14T09:59:00Z", "UgzNEWthread000000000AaABAg@2026-03-14T09:58:00Z"]
    assert sorted(ids(lost)) == sorted(ids(again)) == sorted(expected)  # the same ids: stored once
    edit = CONNECTOR.parse(account(), again.events[-1].body).messages[0]
    assert edit.platform_message_id == f"{T1}@20260314T095900Z" and edit.thread_key == T1
    clock.set_now(lambda: NOW + timedelta(minutes=3))
    assert CONNECTOR.poll(account(api), again.state, client=http).events == ()  # saved: nothing twice


def test_older_pages_and_every_reply_of_a_busy_thread(api: StandIn, http: httpx.Client) -> None:
    serve(api, page1(), fixture("youtube", "comment_threads_page2.json"))
    state = {"since": "2026-03-13T12:00:00+00:00", "seen": [], "watch_checked": NOW.isoformat()}
    result = CONNECTOR.poll(account(api), state, client=http)
    assert calls(api) == ["/commentThreads", "/commentThreads", "/comments", "/videos"]
    assert api.requests[1].query["pageToken"] == "QURTSl9pM0xLV2ZsZ0dEQ2t1"
    assert api.requests[2].query == {"part": "snippet", "parentId": T3, "maxResults": "100",
                                     "textFormat": "plainText"}
    got = ids(result)
    assert f"{T4}@2026-03-13T18:00:00Z" in got and not any(i.startswith("UgvT5") for i in got)  # older: stop
    assert sum(i.startswith(f"{T3}.R") for i in got) == 7  # all 7 replies, not only the 5 the thread carries
    assert len(got) == len(set(got)) == 1 + 3 + 1 + 7 + 1
    assert result.state["quota"]["poll_units"] == 4


def test_a_watched_thread_is_read_again_by_id(api: StandIn, http: httpx.Client) -> None:
    older = fixture("youtube", "comment_threads_page2.json")
    thread = copy.deepcopy(older["items"][0])
    reply = copy.deepcopy(page1()["items"][1]["replies"]["comments"][1])
    reply["id"] = f"{T4}.Znew"
    reply["snippet"].update(parentId=T4, publishedAt="2026-03-14T09:50:00Z", updatedAt="2026-03-14T09:50:00Z")
    thread["replies"] = {"comments": [reply]}
    thread["snippet"]["totalReplyCount"] = 1
    serve(api, page1(), {"kind": "youtube#commentThreadListResponse", "items": [thread]})
    state = {"since": "2026-03-14T09:12:45+00:00", "seen": [f"{T1}@2026-03-14T09:12:45Z",
                                                            f"{T2}.A2customer0002@2026-03-14T09:05:33Z"],
             "watch": {T4: ["2026-03-13T18:00:00+00:00", 0], T1: ["2026-03-14T09:12:45+00:00", 0]}}
    result = CONNECTOR.poll(account(api), state, client=http)
    assert api.requests[1].query == {"part": "snippet,replies", "id": T4, "textFormat": "plainText"}
    assert ids(result) == [f"{T4}.Znew@2026-03-14T09:50:00Z"]
    assert result.state["watch"][T4] == ["2026-03-14T09:50:00+00:00", 1]
    assert result.state["watch_checked"] == NOW.isoformat()


def test_an_expired_token_is_renewed_and_returned(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/commentThreads", Reply(401, fixture("youtube", "error_401.json")), Reply(200, page1()))
    api.on("GET", "/videos", Reply(200, fixture("youtube", "videos_list.json")))
    api.on("POST", "/token", Reply(200, fixture("youtube", "token_200.json")))
    result = CONNECTOR.poll(account(api), {}, client=http)
    assert result.secrets == {"access_token": "ya29.a0AfB_byFreshToken"}
    token = api.requests[1]
    assert token.path == "/token" and b"grant_type=refresh_token" in token.body
    assert api.requests[2].headers["authorization"] == "Bearer ya29.a0AfB_byFreshToken"
    assert result.events and result.state["quota"]["poll_units"] == 3


def test_a_refused_renewal_is_a_poll_error(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/commentThreads", Reply(401, fixture("youtube", "error_401.json")))
    api.on("POST", "/token", Reply(400, {"error": "invalid_grant", "error_description": "Token has been expired"}))
    with pytest.raises(ConnectorError, match="reconnect"):
        CONNECTOR.poll(account(api), {}, client=http)


# --- quota -----------------------------------------------------------------------------------------------------
def test_quota_exceeded_pauses_polling_until_the_pacific_midnight(api: StandIn, http: httpx.Client,
                                                                  frozen: list[datetime]) -> None:
    api.on("GET", "/commentThreads", Reply(403, fixture("youtube", "error_quota_exceeded.json")))
    start = {"since": "2026-03-14T09:00:00+00:00", "seen": []}
    result = CONNECTOR.poll(account(api), start, client=http)
    assert result.events == () and result.state["since"] == start["since"]  # the cursor waits: no gap
    reset = datetime(2026, 3, 15, 7, 0, tzinfo=UTC)  # midnight PDT (daylight time since 8 March)
    assert result.state["quota"]["blocked_until"] == reset.isoformat()
    status = CONNECTOR.poll_status(result.state)
    assert status is not None and "quotaExceeded" in status and "07:00 UTC" in status
    api.clear()
    clock.set_now(lambda: NOW + timedelta(hours=5))
    with pytest.raises(ConnectorError, match="quota"):  # shown as the poll's error, and no call is made
        CONNECTOR.poll(account(api), result.state, client=http)
    assert api.requests == []
    clock.set_now(lambda: reset + timedelta(seconds=1))
    serve(api, page1())
    after = CONNECTOR.poll(account(api), result.state, client=http)
    assert calls(api)[0] == "/commentThreads" and after.state["quota"]["day"] == "2026-03-15"
    assert after.state["quota"]["blocked_until"] is None and after.state["quota"]["poll_units"] >= 1


def test_quota_exceeded_on_a_later_page_keeps_the_cursor(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/commentThreads", Reply(200, page1()), Reply(403, fixture("youtube", "error_quota_exceeded.json")))
    start = {"since": "2026-03-13T12:00:00+00:00", "seen": ["x@2026-03-13T12:00:00Z"]}
    result = CONNECTOR.poll(account(api), start, client=http)
    assert calls(api) == ["/commentThreads", "/commentThreads"]
    assert result.events == ()  # page 1 alone would leave a gap behind it: it is read again after the reset
    assert result.state["since"] == start["since"] and result.state["seen"] == start["seen"]
    assert result.state["quota"]["poll_units"] == 2 and result.state["quota"]["blocked_until"]


def test_the_poll_budget_keeps_quota_for_replies(api: StandIn, http: httpx.Client) -> None:
    state = {"since": "2026-03-14T09:00:00+00:00",
             "quota": {"day": "2026-03-14", "poll_units": 300, "replies": 3}}
    result = CONNECTOR.poll(account(api, poll_budget="300"), state, client=http)
    assert api.requests == [] and result.events == ()
    status = CONNECTOR.poll_status(result.state)
    assert status == ("YouTube quota today: 450 of 10000 units (polling 300 of its 300, 3 replies); polling pauses "
                      "until midnight Pacific time (07:00 UTC) so that replies keep their share.")
    # the whole daily quota spent by replies: no poll either
    spent = {**state, "quota": {"day": "2026-03-14", "poll_units": 0, "replies": 20}}
    CONNECTOR.poll(account(api, daily_quota="1,000"), spent, client=http)
    assert api.requests == []
    # the next quota day starts from zero
    clock.set_now(lambda: datetime(2026, 3, 15, 8, 0, tzinfo=UTC))
    serve(api, page1())
    assert CONNECTOR.poll(account(api, poll_budget="300"), state, client=http).state["quota"]["poll_units"] == 2


def test_polls_are_spaced_by_the_setting(api: StandIn, http: httpx.Client) -> None:
    state = {"since": "2026-03-14T09:00:00+00:00", "last_poll": (NOW - timedelta(minutes=2)).isoformat()}
    CONNECTOR.poll(account(api, poll_minutes="5"), state, client=http)
    assert api.requests == []
    serve(api, page1())
    CONNECTOR.poll(account(api, poll_minutes="2"), state, client=http)
    assert calls(api)[0] == "/commentThreads"


def test_the_quota_status_sentence() -> None:
    assert CONNECTOR.poll_status({}) is None
    state = {"quota": {"day": "2026-03-14", "poll_units": 1234, "replies": 2, "daily_quota": 10000,
                       "poll_budget": 5000}}
    assert CONNECTOR.poll_status(state) == (
        "YouTube quota today: 1334 of 10000 units (polling 1234 of its 5000, 2 replies at about 50 each); it "
        "resets at midnight Pacific time (07:00 UTC).")
    msgid, params = CONNECTOR.poll_status_message(state) or ("", {})
    assert params["used"] == 1334 and "%(used)s" in msgid
    # yesterday's record: today starts at zero
    assert "0 of 10000" in (CONNECTOR.poll_status({"quota": {**state["quota"], "day": "2026-03-13"}}) or "")


@pytest.mark.parametrize("at,day,reset", [
    (datetime(2026, 3, 14, 6, 59, tzinfo=UTC), "2026-03-13", datetime(2026, 3, 14, 7, 0, tzinfo=UTC)),  # PDT
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "2026-03-08", datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),  # DST starts
    (datetime(2026, 3, 7, 12, 0, tzinfo=UTC), "2026-03-07", datetime(2026, 3, 8, 8, 0, tzinfo=UTC)),  # PST
    (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), "2026-10-31", datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
    (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "2026-11-01", datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),  # DST ends
])
def test_the_quota_day_is_pacific_and_dst_correct(at: datetime, day: str, reset: datetime) -> None:
    assert quota.pacific_day(at) == day and quota.next_reset(at) == reset


# --- replies ---------------------------------------------------------------------------------------------------
def reply(**changes: Any) -> OutboundMessage:
    values: dict[str, Any] = {"idempotency_key": "reply-9", "text": "Bonjour Élodie, nous localisons votre valise.",
                              "visibility": Visibility.PUBLIC, "thread_key": T1, "reply_to_platform_id": T1,
                              "recipient": None}
    return OutboundMessage(**{**values, **changes})


def test_a_reply_is_a_comment_under_the_top_level_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/comments", Reply(200, fixture("youtube", "comment_insert_200.json")))
    # answering a reply in the thread still names the top-level comment: YouTube has one level of replies
    result = CONNECTOR.send(account(api), reply(reply_to_platform_id=f"{T1}.x"), http)
    request = api.only()
    assert (request.method, request.path, request.query) == ("POST", "/comments", {"part": "snippet"})
    assert request.headers["authorization"] == "Bearer ya29.old"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"snippet": {"parentId": T1,
                                          "textOriginal": "Bonjour Élodie, nous localisons votre valise."}}
    assert result.platform_message_id == f"{T1}.B9ourNewReply01" and result.thread_key == T1


@pytest.mark.parametrize("status,name,retryable,wait,words", [
    (403, "error_quota_exceeded.json", True, (datetime(2026, 3, 15, 7, tzinfo=UTC) - NOW).total_seconds(), "quota"),
    (403, "error_comments_disabled.json", False, None, "commentsDisabled"),
    (403, "error_forbidden.json", False, None, "forbidden"),
    (404, "error_comment_not_found.json", False, None, "commentNotFound"),
    (400, "error_text_too_long.json", False, None, "commentTextTooLong"),
    (503, "error_503.json", True, None, "backendError"),
    (429, "error_503.json", True, 30.0, "429"),
])
def test_send_errors_are_mapped(api: StandIn, http: httpx.Client, status: int, name: str, retryable: bool,
                                wait: float | None, words: str) -> None:
    api.on("POST", "/comments", Reply(status, fixture("youtube", name), headers={"retry-after": "30"}
                                      if status == 429 else {}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), http)
    assert caught.value.retryable is retryable and caught.value.retry_after == wait
    assert words in caught.value.reason and not caught.value.unauthorized


def test_an_expired_token_asks_the_send_job_to_renew(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/comments", Reply(401, fixture("youtube", "error_401.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), http)
    assert caught.value.unauthorized
    api.on("POST", "/token", Reply(200, fixture("youtube", "token_200.json")))
    renewed = CONNECTOR.refresh_credentials(account(api), http)
    assert renewed == {"access_token": "ya29.a0AfB_byFreshToken"}
    form = dict(p.split("=", 1) for p in api.requests[-1].body.decode().split("&"))
    assert form["grant_type"] == "refresh_token" and form["client_id"] == "cid.apps.googleusercontent.com"


def test_a_timeout_after_sending_is_ambiguous(http: httpx.Client) -> None:
    """Never a blind retry: the send job looks for the reply first (find_sent, tests/connectors/youtube/
    test_ambiguous.py)."""
    with StandIn() as api:
        api.on("POST", "/comments", Reply(200, fixture("youtube", "comment_insert_200.json"), delay=0.5))
        with httpx.Client(timeout=0.1) as fast, pytest.raises(SendError) as caught:
            CONNECTOR.send(account(api), reply(), fast)
    assert caught.value.ambiguous and "may have arrived" in caught.value.reason


@pytest.mark.parametrize("changes,words", [
    ({"visibility": Visibility.PRIVATE}, "no private messages"),
    ({"visibility": Visibility.NOTE}, "never sent"),
    ({"text": "x" * 10_001}, "10,000"),
    ({"text": "  "}, "needs text"),
])
def test_what_youtube_cannot_take_is_refused_before_any_call(api: StandIn, http: httpx.Client,
                                                            changes: dict[str, Any], words: str) -> None:
    with pytest.raises(SendError, match=words) as caught:
        CONNECTOR.send(account(api), reply(**changes), http)
    assert not caught.value.retryable and api.requests == []


def test_check_connection_names_the_channel(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/channels", Reply(200, fixture("youtube", "channels_mine.json")))
    assert CONNECTOR.check_connection(account(api), http) == f"YouTube channel Air Compris ({CHANNEL})"
    assert api.only().query == {"part": "snippet", "mine": "true"}
    other = AccountContext(**{**account(api).__dict__, "external_id": "UCsomeoneElse"})
    with pytest.raises(ConnectorError, match="not UCsomeoneElse"):
        CONNECTOR.check_connection(other, http)


def test_network_facts() -> None:
    connector = registry.get("youtube")
    assert isinstance(connector, YouTubeConnector)
    assert connector.supports_polling and not connector.accepts_webhooks
    assert not connector.supports_idempotency and not connector.can_start_private
    assert connector.limits.public_max_length == 10_000 and connector.limits.private_max_length is None
    assert connector.limits.public_attachments is None
    for name in (*connector.secret_fields, *connector.setting_fields, "external_id"):
        assert connector.field_labels.get(name) and (connector.field_help.get(name) or name == "client_secret")
