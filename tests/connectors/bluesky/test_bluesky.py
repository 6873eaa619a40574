from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture
from compris.connectors.base import (
    AccountContext,
    Author,
    Choice,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.bluesky import BlueskyConnector, richtext
from compris.connectors.bluesky.inbound import event_id
from compris.connectors.bluesky.xrpc import CHAT_PROXY, rate_limit_wait

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

BRAND = "did:plc:4ir2ezmxbzxcu6gb2ilpvvrl"
ELO = "did:plc:uq3n5xkdwfbwsnuvm7ttpe2z"
SAM = "did:plc:k6acu4chiwkixvdedcmdgmal"
ROOT = f"at://{BRAND}/app.bsky.feed.post/3lkpzq7tpwc2k"
ROOT_CID = "bafyreihsp4ugh4f7wdvsdkzt4ubyzk4m4iq2qaxnkqwwdsx6awcoyn4ne4"
REPLY = f"at://{ELO}/app.bsky.feed.post/3lkq2xq4p6k2c"
REPLY_CID = "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"
CONVO = "3lkq2a7mfqe2x"
CONNECTOR = BlueskyConnector()
X = "/xrpc/"


def account(api: StandIn | None = None, **settings_: Any) -> AccountContext:
    base = {"api_base": api.base_url} if api else {}
    return AccountContext(account_id=9, workspace_id=1, network="bluesky", external_id=BRAND,
                          settings={"handle": "aircompris.bsky.social", **base, **settings_},
                          secrets={"app_password": "abcd-efgh-ijkl-mnop", "access_jwt": "access-1",
                                   "refresh_jwt": "refresh-1"})


def body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def notes() -> list[dict[str, Any]]:
    return list(fixture("bluesky", "notifications_page1.json")["notifications"])


# --- inbound ---------------------------------------------------------------------------------
def test_a_reply_in_our_thread() -> None:
    reply = notes()[2]
    (message,) = CONNECTOR.parse(account(), body(reply)).messages
    assert message.platform_message_id == REPLY
    assert message.thread_key == ROOT and message.reply_to_platform_id == ROOT
    assert message.visibility is Visibility.PUBLIC and not message.is_own
    assert message.text.startswith("Mon vol AF1234 pour Nice est annulé") and "😡" in message.text
    assert message.author == Author(platform_user_id=ELO, handle="elodie-marchand.bsky.social",
                                    name="Élodie Marchand", avatar_url=reply["author"]["avatar"])
    assert message.created_at == datetime(2026, 3, 14, 9, 41, 1, 580000, tzinfo=UTC)
    assert message.permalink == "https://bsky.app/profile/elodie-marchand.bsky.social/post/3lkq2xq4p6k2c"
    assert message.extra["post"] == {"uri": REPLY, "cid": REPLY_CID}
    assert message.extra["root"] == message.extra["parent"] == {"uri": ROOT, "cid": ROOT_CID}
    assert message.extra["reason"] == "reply" and message.extra["langs"] == ["fr"]


def test_a_mention_starts_its_own_thread_with_its_image() -> None:
    mention = notes()[1]
    mention["author"]["followersCount"] = 15402  # added by the poll from getProfiles
    (message,) = CONNECTOR.parse(account(), body(mention)).messages
    assert message.thread_key == message.platform_message_id == mention["uri"]
    assert message.reply_to_platform_id is None and message.extra["parent"] is None
    assert message.extra["root"] == {"uri": mention["uri"], "cid": mention["cid"]}
    assert message.author.followers == 15402 and message.author.handle == "samtravels.com"
    (image,) = message.attachments
    assert image.kind == "image" and image.mime_type == "image/jpeg" and image.name == "Broken suitcase handle"
    assert image.url == ("https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:k6acu4chiwkixvdedcmdgmal/"
                         "bafkreiapuxpkv2kmmlgfzh7qmwqb4kx3m7ztp4cvsxbrlfxvkd4rm5kyhi@jpeg")


def test_a_quote_names_the_quoted_post() -> None:
    (message,) = CONNECTOR.parse(account(), body(notes()[0])).messages
    assert message.extra["reason"] == "quote" and message.extra["quoted"] == ROOT
    assert message.thread_key == message.platform_message_id


def test_other_reasons_are_skipped_and_our_own_posts_are_echoes() -> None:
    like = {**notes()[2], "reason": "like"}
    assert CONNECTOR.parse(account(), body(like)).skipped == ("notification like",)
    own = notes()[2]
    own["author"]["did"] = BRAND
    assert CONNECTOR.parse(account(), body(own)).messages[0].is_own


def test_direct_messages_from_the_chat_log() -> None:
    log = fixture("bluesky", "chat_log_200.json")["logs"]
    convo = fixture("bluesky", "convo_200.json")["convo"]
    assert CONNECTOR.parse(account(), body(log[0])).skipped == ("chat log entry chat.bsky.convo.defs#logBeginConvo",)
    (message,) = CONNECTOR.parse(account(), body({**log[1], "convo": convo})).messages
    assert message.visibility is Visibility.PRIVATE and message.thread_key == CONVO
    assert message.platform_message_id == "3lkq3yr2nwc2d"
    assert message.text == "Bonjour, je vous écris en privé pour mon vol annulé ✈️"
    assert message.author.platform_user_id == ELO and message.author.handle == "elodie-marchand.bsky.social"
    assert message.extra == {"convo_id": CONVO, "rev": "2222222222mbn", "participant": ELO}
    assert CONNECTOR.parse(account(), body(log[3])).skipped == ("a deleted direct message",)
    # without the conversation's view (getConvo failed): the sender's DID only
    bare = CONNECTOR.parse(account(), body(log[4])).messages[0]
    assert bare.author == Author(platform_user_id=ELO)
    assert event_id(log[4]) == f"chat:{CONVO}:3lkq3z5o7wk2f"
    assert event_id(notes()[2]) == f"{REPLY}#{REPLY_CID}"


@pytest.mark.parametrize("payload", [b"[]", b"nope", b"{}", body({"reason": "reply"}),
                                     body({**fixture("bluesky", "notifications_page1.json")["notifications"][2],
                                           "record": {"text": "x", "reply": {"root": {"uri": "a", "cid": "b"}}}})])
def test_broken_events_are_unprocessable(payload: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), payload)


def _samples() -> list[Any]:
    log = fixture("bluesky", "chat_log_200.json")["logs"]
    convo = fixture("bluesky", "convo_200.json")["convo"]
    return [*notes(), *fixture("bluesky", "notifications_page2.json")["notifications"], *log,
            {**log[1], "convo": convo}]


@given(index=st.integers(0, 20), path=st.lists(st.integers(0, 20), max_size=8), value=json_values)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_events_parse_or_are_unprocessable(index: int, path: list[int], value: Any) -> None:
    samples = _samples()
    event = mutate(samples[index % len(samples)], path, value)
    event_id(event) if isinstance(event, dict) else None
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body(event))


# --- rich text and record keys -----------------------------------------------------------------
def test_facets_use_utf8_byte_offsets() -> None:
    text = "Élodie 😊 @samtravels.com voir https://aircompris.example/vols?n=AF1234 ✈️."
    facets = richtext.facets(text, {"samtravels.com": SAM}.get)
    raw = text.encode("utf-8")
    mention, link = sorted(facets, key=lambda f: f["index"]["byteStart"])
    assert raw[mention["index"]["byteStart"]:mention["index"]["byteEnd"]].decode() == "@samtravels.com"
    assert mention["features"] == [{"$type": "app.bsky.richtext.facet#mention", "did": SAM}]
    assert mention["index"]["byteStart"] == len("Élodie 😊 ".encode())  # 13 bytes, 9 characters
    assert raw[link["index"]["byteStart"]:link["index"]["byteEnd"]].decode() == \
        "https://aircompris.example/vols?n=AF1234"
    assert link["features"] == [{"$type": "app.bsky.richtext.facet#link",
                                 "uri": "https://aircompris.example/vols?n=AF1234"}]


def test_unknown_handles_and_addresses_are_no_mentions() -> None:
    assert richtext.facets("écrivez à support@aircompris.example ou @inconnu.example", lambda h: None) == []
    assert richtext.facets("(voir https://x.example/a_(b)).", lambda h: None)[0]["features"][0]["uri"] == \
        "https://x.example/a_(b)"


def test_reply_record_keys_are_tids_derived_from_the_idempotency_key() -> None:
    first = richtext.reply_rkey("reply-42", REPLY)
    assert first == richtext.reply_rkey("reply-42", REPLY)  # a retry asks for the same key
    assert first != richtext.reply_rkey("reply-43", REPLY)
    value = richtext.tid_value(first)
    parent = richtext.tid_value("3lkq2xq4p6k2c")
    assert value is not None and parent is not None
    assert 0 < (value >> 10) - (parent >> 10) <= 1 << 20  # just after the answered post, within a second
    assert richtext.tid(value) == first and len(first) == 13
    fallback = richtext.reply_rkey("reply-42", "at://did:plc:x/app.bsky.feed.post/not-a-tid")
    assert richtext.tid_value(fallback) is not None
    assert richtext.tid_value("nope") is None


# --- polling ---------------------------------------------------------------------------------
def _routes(api: StandIn, *, page1: Reply | None = None) -> None:
    api.on("GET", X + "app.bsky.notification.listNotifications",
           page1 or Reply(200, fixture("bluesky", "notifications_page1.json")))
    api.on("GET", X + "app.bsky.actor.getProfiles", Reply(200, fixture("bluesky", "profiles_200.json")))
    api.on("GET", X + "chat.bsky.convo.getLog", Reply(200, fixture("bluesky", "chat_log_200.json")),
           Reply(200, fixture("bluesky", "chat_log_empty.json")))
    api.on("GET", X + "chat.bsky.convo.getConvo", Reply(200, fixture("bluesky", "convo_200.json")))


def test_first_poll_reads_the_latest_page_and_the_chat_log(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    result = CONNECTOR.poll(account(api), {}, client=http)
    ids = [e.event_id for e in result.events]
    page = notes()
    assert ids[:3] == [event_id(n) for n in reversed(page)]  # oldest first
    assert ids[3:] == [f"chat:{CONVO}:3lkq3yr2nwc2d", f"chat:{CONVO}:3lkq3yzz2wc2a", f"chat:{CONVO}:3lkq3z5o7wk2f"]
    assert result.state == {"notifications": {"seen_at": "2026-03-14T09:45:12.447Z", "seen_ids": [ids[2]]},
                            "chat_cursor": "2222222222mbq"}
    assert result.secrets is None
    listing = api.requests[0]
    assert listing.path == X + "app.bsky.notification.listNotifications"
    assert listing.headers["authorization"] == "Bearer access-1" and listing.query["limit"] == "100"
    assert "atproto-proxy" not in listing.headers
    log, after = [r for r in api.requests if r.path.endswith("getLog")]
    assert log.headers["atproto-proxy"] == CHAT_PROXY and "cursor" not in log.query
    assert after.query == {"cursor": "2222222222mbq"}  # read on until the log has nothing newer
    convo = next(r for r in api.requests if r.path.endswith("getConvo"))
    assert convo.query == {"convoId": CONVO} and convo.headers["atproto-proxy"] == CHAT_PROXY
    reply = json.loads(result.events[0].body)
    assert reply["author"]["followersCount"] == 812  # getProfiles, batched
    assert json.loads(result.events[3].body)["convo"]["id"] == CONVO


def test_next_polls_stop_at_what_was_stored(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    first = CONNECTOR.poll(account(api), {}, client=http)
    api.clear()
    _routes(api)
    api.on("GET", X + "chat.bsky.convo.getLog", Reply(200, fixture("bluesky", "chat_log_empty.json")))
    again = CONNECTOR.poll(account(api), first.state, client=http)
    assert again.events == () and again.state == first.state
    assert next(r for r in api.requests if r.path.endswith("getLog")).query == {"cursor": "2222222222mbq"}


def test_new_notifications_page_on_until_the_stored_one(api: StandIn, http: httpx.Client) -> None:
    """Three new ones on the first page, two more on the second, then the one already stored: no gap, no
    duplicate; a notification at the very time of the stored one but not stored yet is taken."""
    old = fixture("bluesky", "notifications_page2.json")["notifications"][0]
    state = {"notifications": {"seen_at": old["indexedAt"], "seen_ids": [event_id(old)]}}
    same_time = {**old, "uri": old["uri"][:-1] + "z", "cid": "bafyreisametime"}
    middle = {**notes()[2], "uri": REPLY[:-1] + "m", "indexedAt": "2026-03-14T08:00:00.000Z"}
    older = {**old, "uri": old["uri"][:-1] + "q", "indexedAt": "2026-03-12T08:00:00.000Z"}
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(200, {**fixture("bluesky", "notifications_page1.json"), "cursor": "c1"}),
           Reply(200, {"cursor": "c2", "notifications": [middle, same_time, old, older]}))
    api.on("GET", X + "app.bsky.actor.getProfiles", Reply(500, fixture("bluesky", "error_internal.json")))
    result = CONNECTOR.poll(account(api, direct_messages="no"), state, client=http)
    ids = [e.event_id for e in result.events]
    assert ids == [event_id(same_time), event_id(middle), *[event_id(n) for n in reversed(notes())]]
    assert [r.query.get("cursor") for r in api.requests if r.path.endswith("listNotifications")] == [None, "c1"]
    assert not any(r.path.endswith("getLog") for r in api.requests)  # direct messages turned off
    assert "followersCount" not in json.loads(result.events[0].body)["author"]  # getProfiles failed: no count
    assert result.state["notifications"]["seen_at"] == "2026-03-14T09:45:12.447Z"


def test_a_long_backlog_is_read_over_several_polls_without_a_gap(api: StandIn, http: httpx.Client,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.connectors.bluesky import connector as module

    monkeypatch.setattr(module, "MAX_PAGES", 1)
    old = fixture("bluesky", "notifications_page2.json")["notifications"][0]
    state: dict[str, Any] = {"notifications": {"seen_at": old["indexedAt"], "seen_ids": [event_id(old)]}}
    middle = {**notes()[2], "uri": REPLY[:-1] + "m", "indexedAt": "2026-03-14T08:00:00.000Z"}
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(200, {**fixture("bluesky", "notifications_page1.json"), "cursor": "c1"}),
           Reply(200, {"cursor": "c2", "notifications": [middle, old]}),
           Reply(200, fixture("bluesky", "notifications_empty.json")))
    api.on("GET", X + "app.bsky.actor.getProfiles", Reply(200, {"profiles": []}))
    first = CONNECTOR.poll(account(api, direct_messages="no"), state, client=http)
    assert len(first.events) == 3
    pending = first.state["notifications"]
    assert pending["seen_at"] == old["indexedAt"] and pending["backfill"]["cursor"] == "c1"
    second = CONNECTOR.poll(account(api, direct_messages="no"), first.state, client=http)
    assert [e.event_id for e in second.events] == [event_id(middle)]
    assert second.state["notifications"] == {"seen_at": "2026-03-14T09:45:12.447Z",
                                             "seen_ids": [first.events[-1].event_id]}
    third = CONNECTOR.poll(account(api, direct_messages="no"), second.state, client=http)
    assert third.events == () and third.state == second.state


def test_an_expired_session_is_renewed_mid_poll(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(400, fixture("bluesky", "error_expired_token.json")),
           Reply(200, fixture("bluesky", "notifications_page1.json")))
    api.on("POST", X + "com.atproto.server.refreshSession", Reply(200, fixture("bluesky", "session_refresh_200.json")))
    result = CONNECTOR.poll(account(api), {}, client=http)
    renewed = fixture("bluesky", "session_refresh_200.json")
    assert result.secrets == {"access_jwt": renewed["accessJwt"], "refresh_jwt": renewed["refreshJwt"]}
    refresh = next(r for r in api.requests if r.path.endswith("refreshSession"))
    assert refresh.headers["authorization"] == "Bearer refresh-1" and refresh.body == b""
    later = [r for r in api.requests if not r.path.endswith("refreshSession")][1:]
    assert later and all(r.headers["authorization"] == f"Bearer {renewed['accessJwt']}" for r in later)
    assert len(result.events) == 6


def test_a_refused_refresh_token_falls_back_to_the_app_password(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    api.on("GET", X + "app.bsky.notification.listNotifications",
           Reply(401, fixture("bluesky", "error_expired_token.json")),
           Reply(200, fixture("bluesky", "notifications_empty.json")))
    api.on("POST", X + "com.atproto.server.refreshSession", Reply(400, {"error": "ExpiredToken",
                                                                          "message": "Token has been revoked"}))
    api.on("POST", X + "com.atproto.server.createSession", Reply(200, fixture("bluesky", "session_create_200.json")))
    result = CONNECTOR.poll(account(api, direct_messages="no"), {}, client=http)
    created = next(r for r in api.requests if r.path.endswith("createSession"))
    assert created.json() == {"identifier": "aircompris.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    assert "authorization" not in created.headers
    assert result.secrets and result.secrets["access_jwt"] == fixture("bluesky", "session_create_200.json")["accessJwt"]


def test_a_first_poll_opens_the_session(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    api.on("POST", X + "com.atproto.server.createSession", Reply(200, fixture("bluesky", "session_create_200.json")))
    ctx = AccountContext(9, 1, "bluesky", BRAND, {"api_base": api.base_url, "handle": "@aircompris.bsky.social"},
                         {"app_password": "abcd-efgh-ijkl-mnop"})
    result = CONNECTOR.poll(ctx, {}, client=http)
    assert api.requests[0].path.endswith("createSession") and result.secrets
    assert set(result.secrets) == {"access_jwt", "refresh_jwt"}


def test_polling_errors_say_what_to_do(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    api.on("GET", X + "chat.bsky.convo.getLog", Reply(401, fixture("bluesky", "error_bad_token_scope.json")))
    with pytest.raises(ConnectorError) as caught:
        CONNECTOR.poll(account(api), {}, client=http)
    assert "direct messages" in str(caught.value) and "abcd" not in str(caught.value)
    assert not any("Session" in r.path for r in api.requests)  # a missing scope is not cured by a new session
    api.on("POST", X + "com.atproto.server.createSession", Reply(401, fixture("bluesky", "error_bad_password.json")))
    ctx = AccountContext(9, 1, "bluesky", BRAND, {"api_base": api.base_url}, {"app_password": "wrong"})
    with pytest.raises(ConnectorError, match="app password"):
        CONNECTOR.poll(ctx, {}, client=http)


def test_mark_seen_is_optional(api: StandIn, http: httpx.Client) -> None:
    _routes(api)
    api.on("POST", X + "app.bsky.notification.updateSeen", Reply(200, body=b""))
    CONNECTOR.poll(account(api, mark_seen="yes", direct_messages="no"), {}, client=http)
    seen = next(r for r in api.requests if r.path.endswith("updateSeen"))
    assert seen.json() == {"seenAt": "2026-03-14T09:45:12.447Z"}


# --- sending ---------------------------------------------------------------------------------
def public_reply(text: str = "Bonjour Élodie 😊 nous regardons votre vol AF1234 : https://aircompris.example/aide",
                 **extra: Any) -> OutboundMessage:
    parsed = CONNECTOR.parse(account(), body(notes()[2])).messages[0]
    return OutboundMessage(idempotency_key="reply-42", text=text, visibility=Visibility.PUBLIC, thread_key=ROOT,
                           reply_to_platform_id=REPLY, recipient=Author(ELO, "elodie-marchand.bsky.social"),
                           extra={**parsed.extra, **extra})


def test_a_public_reply_is_a_post_record_threaded_under_the_customers_post(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(200, fixture("bluesky", "create_record_200.json")))
    result = CONNECTOR.send(account(api), public_reply(), http)
    assert result.platform_message_id == fixture("bluesky", "create_record_200.json")["uri"]
    assert result.thread_key == ROOT
    request = api.only()
    assert request.headers["authorization"] == "Bearer access-1" and "atproto-proxy" not in request.headers
    sent = request.json()
    record = sent.pop("record")
    assert sent == {"repo": BRAND, "collection": "app.bsky.feed.post", "rkey": richtext.reply_rkey("reply-42", REPLY)}
    created = record.pop("createdAt")
    assert datetime.fromisoformat(created.replace("Z", "+00:00")).tzinfo is not None and created.endswith("Z")
    text = public_reply().text
    start = len(text.split("https://")[0].encode())
    assert record == {
        "$type": "app.bsky.feed.post", "text": text, "langs": ["fr"],
        "reply": {"root": {"uri": ROOT, "cid": ROOT_CID}, "parent": {"uri": REPLY, "cid": REPLY_CID}},
        "facets": [{"index": {"byteStart": start, "byteEnd": len(text.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://aircompris.example/aide"}]}],
    }


def test_mentions_are_resolved_to_dids(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(200, fixture("bluesky", "create_record_200.json")))
    api.on("GET", X + "com.atproto.identity.resolveHandle", Reply(200, fixture("bluesky", "resolve_handle_200.json")))
    text = "Merci @elodie-marchand.bsky.social, @samtravels.com a reçu 🧳 la même réponse"
    CONNECTOR.send(account(api, post_language="en"), public_reply(text), http)
    resolve, create = api.requests
    assert resolve.query == {"handle": "samtravels.com"}  # the customer's own handle is known already
    record = create.json()["record"]
    assert record["langs"] == ["en"]
    raw = text.encode()
    spans = [(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0]["did"])
             for f in record["facets"]]
    assert spans == [("@elodie-marchand.bsky.social", ELO), ("@samtravels.com", SAM)]


def test_a_reply_without_stored_references_reads_the_post(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", X + "app.bsky.feed.getPosts", Reply(200, fixture("bluesky", "get_posts_200.json")))
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(200, fixture("bluesky", "create_record_200.json")))
    message = OutboundMessage("reply-7", "Bien reçu", Visibility.PUBLIC, ROOT, REPLY, None)
    CONNECTOR.send(account(api), message, http)
    posts, create = api.requests
    assert posts.query == {"uris": REPLY}
    assert create.json()["record"]["reply"] == {"root": {"uri": ROOT, "cid": ROOT_CID},
                                                "parent": {"uri": REPLY, "cid": REPLY_CID}}
    assert "langs" not in create.json()["record"]


@pytest.mark.parametrize("failure", [Reply(500, fixture("bluesky", "error_internal.json")),
                                     Reply(400, {"error": "InvalidRequest", "message": "Record already exists"}),
                                     Reply(200, {}, delay=1.5)])
def test_a_retry_finds_the_post_it_already_created(api: StandIn, failure: Reply) -> None:
    """A repeated record key: the PDS answers 500 ("There is already a value at key", unnamed) or a 400; an
    attempt may also time out after the post was made. getRecord then finds our post: the reply is sent once."""
    api.on("POST", X + "com.atproto.repo.createRecord", failure)
    api.on("GET", X + "com.atproto.repo.getRecord", Reply(200, fixture("bluesky", "get_record_200.json")))
    with httpx.Client(timeout=1.0) as client:
        result = CONNECTOR.send(account(api), public_reply(), client)
    assert result.platform_message_id == fixture("bluesky", "get_record_200.json")["uri"]
    lookup = next(r for r in api.requests if r.path.endswith("getRecord"))
    assert lookup.query == {"repo": BRAND, "collection": "app.bsky.feed.post",
                            "rkey": richtext.reply_rkey("reply-42", REPLY)}


def test_a_server_error_with_no_post_stays_retryable(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(502, body=b"Bad Gateway"))
    api.on("GET", X + "com.atproto.repo.getRecord", Reply(400, fixture("bluesky", "error_record_not_found.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), public_reply(), http)
    assert caught.value.retryable and "502" in caught.value.reason


@pytest.mark.parametrize("reply,retryable,unauthorized,wait", [
    (Reply(429, fixture("bluesky", "error_rate_limit.json"),
           headers={"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": "4102444830",
                    "ratelimit-policy": "5000;w=3600"}), True, False, "reset"),
    (Reply(400, fixture("bluesky", "error_invalid_request.json")), False, False, None),
    (Reply(400, fixture("bluesky", "error_expired_token.json")), False, True, None),
    (Reply(401, {"error": "InvalidToken", "message": "Token could not be verified"}), False, True, None),
])
def test_error_mapping(api: StandIn, http: httpx.Client, reply: Reply, retryable: bool, unauthorized: bool,
                       wait: str | None) -> None:
    api.on("POST", X + "com.atproto.repo.createRecord", reply)
    api.on("GET", X + "com.atproto.repo.getRecord", Reply(400, fixture("bluesky", "error_record_not_found.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), public_reply(), http)
    assert caught.value.retryable is retryable and caught.value.unauthorized is unauthorized
    if wait:
        assert caught.value.retry_after is not None and caught.value.retry_after > 60
    else:
        assert caught.value.retry_after is None


def test_rate_limit_wait_reads_bluesky_headers() -> None:
    now = datetime(2026, 3, 14, 10, tzinfo=UTC)
    assert rate_limit_wait({"RateLimit-Reset": str(int(now.timestamp()) + 90)}, now) == 90
    assert rate_limit_wait({"retry-after": "12"}, now) == 12
    assert rate_limit_wait({}, now) is None


def test_replies_are_checked_before_anything_is_sent(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError, match="at most 300"):
        CONNECTOR.send(account(api), public_reply("é" * 301), http)
    family = "👩‍👩‍👧" * 200  # one grapheme, 18 bytes each: 200 graphemes but 3,600 bytes
    assert CONNECTOR.limits.count(family, Visibility.PUBLIC) == 200
    with pytest.raises(SendError, match="3,000 bytes"):
        CONNECTOR.send(account(api), public_reply(family), http)
    with pytest.raises(SendError, match="needs the post"):
        CONNECTOR.send(account(api), OutboundMessage("k", "hi", Visibility.PUBLIC, "t", None, None), http)
    with pytest.raises(SendError, match="only sent privately"):
        CONNECTOR.send(account(api), OutboundMessage("k", "hi", Visibility.PUBLIC, ROOT, REPLY, None,
                                                     choices=(Choice("5", "5"),)), http)
    assert api.requests == []


def test_accented_replies_count_graphemes(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "com.atproto.repo.createRecord", Reply(200, fixture("bluesky", "create_record_200.json")))
    text = "e\u0301" * 300  # 300 graphemes of two code points each
    assert CONNECTOR.limits.count(text, Visibility.PUBLIC) == 300
    CONNECTOR.send(account(api), public_reply(text), http)
    assert api.only().json()["record"]["text"] == text


def dm(thread_key: str = CONVO, **kw: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="reply-43", text="Bonjour Élodie, nous regardons votre réservation 🙏",
                           visibility=Visibility.PRIVATE, thread_key=thread_key, reply_to_platform_id="3lkq3z5o7wk2f",
                           recipient=Author(ELO, "elodie-marchand.bsky.social"), **kw)


def test_a_direct_message_goes_through_the_chat_proxy(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "chat.bsky.convo.sendMessage", Reply(200, fixture("bluesky", "send_message_200.json")))
    result = CONNECTOR.send(account(api), dm(), http)
    assert result.platform_message_id == "3lkq4d2ejos2k" and result.thread_key == CONVO
    request = api.only()
    assert request.headers["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat"
    assert request.headers["authorization"] == "Bearer access-1"
    assert request.json() == {"convoId": CONVO, "message": {"text": dm().text}}


def test_a_conversation_is_opened_with_a_customer_who_wrote_in_public(api: StandIn, http: httpx.Client) -> None:
    key = CONNECTOR.private_thread_key(account(), Author(SAM, "samtravels.com"))
    assert key == f"dm:{SAM}"
    api.on("GET", X + "chat.bsky.convo.getConvoForMembers",
           Reply(200, fixture("bluesky", "convo_for_members_200.json")))
    api.on("POST", X + "chat.bsky.convo.sendMessage", Reply(200, fixture("bluesky", "send_message_200.json")))
    survey = dm(key, choices=(Choice("Très bien", "5"), Choice("Mal", "1")))
    result = CONNECTOR.send(account(api), survey, http)
    opened, sent = api.requests
    assert opened.query == {"members": SAM} and opened.headers["atproto-proxy"] == CHAT_PROXY
    assert sent.json()["convoId"] == "3lkq5b2tdgs2b" and "Très bien" in sent.json()["message"]["text"]
    assert result.thread_key == "3lkq5b2tdgs2b"


def test_a_customer_who_refuses_messages(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", X + "chat.bsky.convo.getConvoForMembers", Reply(400, fixture("bluesky", "error_convo_refused.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), dm(f"dm:{SAM}"), http)
    assert not caught.value.retryable and "follow" in caught.value.reason


def test_a_send_without_a_session_asks_for_one(api: StandIn, http: httpx.Client) -> None:
    ctx = AccountContext(9, 1, "bluesky", BRAND, {"api_base": api.base_url}, {"app_password": "p"})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(ctx, dm(), http)
    assert caught.value.unauthorized and api.requests == []


# --- session and connection ------------------------------------------------------------------
def test_refresh_credentials(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", X + "com.atproto.server.refreshSession", Reply(200, fixture("bluesky", "session_refresh_200.json")))
    renewed = CONNECTOR.refresh_credentials(account(api), http)
    data = fixture("bluesky", "session_refresh_200.json")
    assert renewed == {"access_jwt": data["accessJwt"], "refresh_jwt": data["refreshJwt"]}
    empty = AccountContext(9, 1, "bluesky", BRAND, {}, {})
    assert CONNECTOR.refresh_credentials(empty, http) is None


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", X + "com.atproto.server.getSession", Reply(200, fixture("bluesky", "session_get_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == \
        "connected as @aircompris.bsky.social (did:plc:4ir2ezmxbzxcu6gb2ilpvvrl)"
    api.on("GET", X + "com.atproto.server.getSession", Reply(400, fixture("bluesky", "error_expired_token.json")))
    api.on("POST", X + "com.atproto.server.createSession", Reply(200, fixture("bluesky", "session_create_200.json")))
    assert "aircompris.bsky.social" in CONNECTOR.check_connection(account(api), http)
    other = AccountContext(9, 1, "bluesky", "did:plc:someoneelse", {"api_base": api.base_url}, {"app_password": "p"})
    with pytest.raises(ConnectorError, match="belongs to"):
        CONNECTOR.check_connection(other, http)


def test_the_default_pds_and_the_admin_fields() -> None:
    assert CONNECTOR._base(AccountContext(1, 1, "bluesky", BRAND)) == "https://bsky.social"
    for name in ("external_id", *CONNECTOR.secret_fields, *CONNECTOR.setting_fields):
        assert CONNECTOR.field_labels[name] and CONNECTOR.field_help[name]
    assert CONNECTOR.limits.public_max_length == 300 and CONNECTOR.limits.private_max_length == 1000
