from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes, registry
from compris.connectors.base import (
    Author,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.mastodon import MastodonConnector
from compris.connectors.mastodon.connector import with_mention
from compris.connectors.mastodon.inbound import html_to_text, sse_events, streamed_notification

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn
from .helpers import NOTIFICATIONS, OWN_ID, STATUSES, STREAM, TOKEN, EventStream, account, page, sse

CONNECTOR = MastodonConnector()
MENTION = "112345678901234567"
DM = "112345690000000001"
REPLY = "112345700000000009"


# --- facts ---------------------------------------------------------------------------------------------------
def test_registered_with_its_facts() -> None:
    assert registry.get("mastodon") is not None and isinstance(registry.get("mastodon"), MastodonConnector)
    assert CONNECTOR.supports_polling and CONNECTOR.supports_idempotency and CONNECTOR.public_reply_mentions
    assert CONNECTOR.limits.length_unit == "mastodon" and CONNECTOR.limits.public_max_length == 500
    assert not CONNECTOR.accepts_webhooks
    fields = {"external_id", *CONNECTOR.secret_fields, *CONNECTOR.setting_fields}
    assert fields == set(CONNECTOR.field_labels) == set(CONNECTOR.field_help)


@pytest.mark.parametrize("given,expected", [
    ({}, 500), ({"max_characters": ""}, 500), ({"max_characters": "5000"}, 5000), ({"max_characters": 1000}, 1000),
    ({"max_characters": "lots"}, 500), ({"max_characters": "-3"}, 500), ({"max_characters": "0"}, 500),
])
def test_the_instance_sets_the_character_limit(given: dict[str, Any], expected: int) -> None:
    limits = CONNECTOR.limits_for(given)
    assert limits.max_length("public") == limits.max_length("private") == expected
    assert limits.length_unit == "mastodon"


def test_a_direct_message_names_the_customer_too() -> None:
    assert CONNECTOR.reply_mention(Visibility.PUBLIC, "elodie@piaille.fr") == "@elodie@piaille.fr "
    assert CONNECTOR.reply_mention(Visibility.PRIVATE, "elodie@piaille.fr") == "@elodie@piaille.fr "
    assert CONNECTOR.reply_mention(Visibility.NOTE, "elodie@piaille.fr") == ""


# --- inbound -------------------------------------------------------------------------------------------------
def test_public_mention() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("mastodon", "notification_mention.json")).messages
    assert message.platform_message_id == MENTION and message.thread_key == MENTION
    assert message.visibility is Visibility.PUBLIC and not message.is_own
    assert message.author.platform_user_id == "110234567890123456"
    assert message.author.handle == "elodie@piaille.fr" and message.author.name == "Élodie M. ✈️"
    assert message.author.followers == 342
    assert message.text == ("@aircompris mon vol AF1234 est annulé & personne ne répond au téléphone 😡\n\n"
                            "Dossier : https://www.aircompris.example/booking/ABC123?lang=fr\n"
                            "Merci de me rappeler #AirCompris")
    assert message.created_at == datetime(2026, 3, 14, 9, 12, 44, 512000, tzinfo=UTC)
    assert message.reshares == 2 and message.permalink == "https://piaille.fr/@elodie/112345678901234567"
    (image,) = message.attachments
    assert image.kind == "image" and image.url and image.url.endswith("boarding.jpg")
    assert message.extra["visibility"] == "public" and message.extra["language"] == "fr"
    assert message.extra["notification_id"] == "40211" and message.extra["bot"] is False


def test_direct_message() -> None:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("mastodon", "notification_direct.json")).messages
    assert message.visibility is Visibility.PRIVATE
    assert message.thread_key == "dm:109000000000000042"
    assert message.thread_key == CONNECTOR.private_thread_key(account(), message.author)  # move-to-private finds it
    assert message.author.handle == "marc@mastodon.example"  # a local account, completed with its server
    assert message.text == ("@aircompris Bonjour, ma valise n'est pas arrivée à Nice.\nRéférence : NCE-77812\n\n"
                            "Pouvez-vous m'aider ?")


def test_reply_with_content_warning_and_video() -> None:
    (message,) = CONNECTOR.parse(account(), json.dumps(page()[0]).encode()).messages
    assert message.platform_message_id == REPLY and message.reply_to_platform_id == MENTION
    assert message.thread_key == MENTION
    assert message.text == "[vol annulé]\n\n@aircompris toujours rien…"
    assert message.attachments[0].kind == "video"


def test_other_notifications_are_skipped() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("mastodon", "notification_favourite.json"))
    assert parsed.messages == () and "favourite" in parsed.skipped[0]


def test_our_own_status_is_own() -> None:
    data = fixture("mastodon", "notification_mention.json")
    data["status"]["account"]["id"] = OWN_ID
    (message,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert message.is_own


@pytest.mark.parametrize("html,text", [
    ("<p>one</p><p>two</p>", "one\n\ntwo"),
    ("<p>a<br>b<br/>c</p>", "a\nb\nc"),
    ("<p>x &lt;script&gt; &amp; y</p>", "x <script> & y"),
    ("<p>hi</p><script>alert(1)</script><style>p{}</style>", "hi"),
    ("<p>see <a href=\"https://example.org/page\">this page</a></p>", "see this page (https://example.org/page)"),
    ("<p><a href=\"https://example.org/page\">https://example.org/page</a></p>", "https://example.org/page"),
    ("<p><a href=\"javascript:alert(1)\">click</a></p>", "click"),
    ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("<p>unclosed <b>bold <i>it", "unclosed bold it"),
    ("plain text", "plain text"),
    ("", ""),
])
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"id": "1", "type": "mention"}',
                                  b'{"id": "1", "type": "mention", "status": {"id": "2"}}',
                                  b'{"id": "1", "type": "mention", "status": {"id": "2", "account": {"id": "3"},'
                                  b' "created_at": "yesterday"}}', b"[[[[" * 10000])
def test_broken_notifications_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(name=st.sampled_from(["notification_mention.json", "notification_direct.json",
                             "notification_favourite.json"]),
       path=st.lists(st.integers(0, 40), max_size=8), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_notifications_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("mastodon", name), path, value)).encode()
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(html=st.text(alphabet=st.sampled_from(list("<>/\"'=&;# abpr\nhref:scriptlia")), max_size=80))
@settings(max_examples=200, deadline=None)
def test_any_html_becomes_text(html: str) -> None:
    assert isinstance(html_to_text(html), str)


def test_sse_events() -> None:
    stream = [":thump", "event: notification", "data: {\"a\":", "data: 1}", "", "retry: 10", "id: 5", "",
              "data: no event name", "", "event: delete", "data: 123", "", ":thump", "event: notification", "data: x"]
    assert list(sse_events(stream)) == [("notification", '{"a":\n1}'), ("message", "no event name"),
                                        ("delete", "123"), ("notification", "x")]
    assert streamed_notification("delete", "123") is None
    assert streamed_notification("notification", "not json") is None
    assert streamed_notification("notification", json.dumps(page()[0])) == page()[0]


garbage_lines = st.lists(st.one_of(
    st.text(max_size=30),
    st.sampled_from([":thump", "", "event: notification", "event: update", "data: {}", "data: null",
                     "data: " + json.dumps(page()[1]), "event:notification", "data:" + json.dumps(page()[2])]),
), max_size=30)


@given(lines=garbage_lines)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_garbage_streams_never_break_the_reader(lines: list[str]) -> None:
    for event, data in sse_events(lines):
        found = streamed_notification(event, data)
        if found is not None:
            with contextlib.suppress(UnprocessableEvent):
                CONNECTOR.parse(account(), json.dumps(found).encode())


# --- polling -------------------------------------------------------------------------------------------------
def test_first_poll_takes_the_newest_mentions(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, page()))
    result = CONNECTOR.poll(account(api, initial_fetch_limit="3"), {}, client=http)
    request = api.only()
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.query == {"types[]": "mention", "limit": "3"}
    assert [e.event_id for e in result.events] == ["notification:40211", "notification:40230", "notification:40250"]
    assert result.state == {"cursor": "40250"}
    assert json.loads(result.events[0].body)["status"]["id"] == MENTION


def test_first_poll_with_nothing_to_take(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, page()))
    result = CONNECTOR.poll(account(api, initial_fetch_limit="0"), {}, client=http)
    assert result.events == () and result.state == {"cursor": "40250"}


def test_catch_up_pages_forward_from_the_cursor(api: StandIn, http: httpx.Client) -> None:
    first = [dict(page()[2], id=str(1000 + i)) for i in range(39, -1, -1)]  # a full page, newest first
    link = f'<{api.base_url}{NOTIFICATIONS}?max_id=1000>; rel="next", <{api.base_url}{NOTIFICATIONS}?min_id=1039>; ' \
           'rel="prev"'
    api.on("GET", NOTIFICATIONS, Reply(200, first, headers={"link": link}), Reply(200, page()[:1]))
    result = CONNECTOR.poll(account(api), {"cursor": "999"}, client=http)
    one, two = api.requests
    assert one.query == {"types[]": "mention", "min_id": "999", "limit": "40"}
    assert two.query["min_id"] == "1039"
    assert len(result.events) == 41 and result.events[0].event_id == "notification:1000"  # oldest first
    assert result.events[-1].event_id == "notification:40250"
    assert result.state == {"cursor": "40250"}


def test_a_crash_before_saving_the_state_refetches_and_the_next_poll_has_no_gap(api: StandIn,
                                                                                 http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, page()[1:]))
    state = {"cursor": "40000"}
    first = CONNECTOR.poll(account(api), state, client=http)
    again = CONNECTOR.poll(account(api), state, client=http)  # the state was never saved: the same events
    assert [e.event_id for e in first.events] == [e.event_id for e in again.events] == \
        ["notification:40211", "notification:40230"]
    assert again.state == {"cursor": "40230"}
    api.clear()
    api.on("GET", NOTIFICATIONS, Reply(200, page()[:1]))
    after = CONNECTOR.poll(account(api), again.state, client=http)
    assert api.only().query["min_id"] == "40230"  # from the saved cursor: nothing in between is skipped
    assert [e.event_id for e in after.events] == ["notification:40250"] and after.state == {"cursor": "40250"}


def test_notifications_that_are_not_mentions_move_the_cursor_only(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, [fixture("mastodon", "notification_favourite.json"), "junk", {}]))
    result = CONNECTOR.poll(account(api), {"cursor": "40000"}, client=http)
    assert result.events == () and result.state == {"cursor": "40240"}


def test_streaming_delivers_what_arrives_while_waiting(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    api.on("GET", STREAM, EventStream(body=sse(fixture("mastodon", "notification_favourite.json"), page()[0])))
    result = CONNECTOR.poll(account(api, idle_seconds="5"), {"cursor": "40230"}, wait=5, client=http)
    assert [e.event_id for e in result.events] == ["notification:40250"]
    assert result.state == {"cursor": "40250"}
    stream = [r for r in api.requests if r.path == STREAM]
    assert len(stream) == 1 and stream[0].headers["authorization"] == f"Bearer {TOKEN}"
    rest = [r.query.get("min_id") for r in api.requests if r.path == NOTIFICATIONS]
    # caught up before listening, and again after from the same cursor: what arrived before the stream opened
    assert rest == ["40230", "40230"]


def test_streamed_notifications_older_than_the_cursor_are_ignored(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    api.on("GET", STREAM, EventStream(body=sse(page()[2])))
    result = CONNECTOR.poll(account(api), {"cursor": "40250"}, wait=5, client=http)
    assert result.events == () and result.state == {"cursor": "40250"}


def test_a_garbage_stream_falls_back_to_rest(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []), Reply(200, page()[:1]))
    api.on("GET", STREAM, EventStream(body=sse(garbage=["data: {broken", "", "event: notification", "data: 42",
                                                        "", "\x00\x01", "event: update", "data: {}", ""])))
    result = CONNECTOR.poll(account(api), {"cursor": "40230"}, wait=5, client=http)
    assert [e.event_id for e in result.events] == ["notification:40250"]


@pytest.mark.parametrize("status", [401, 404, 502])
def test_a_refused_stream_falls_back_to_rest(api: StandIn, http: httpx.Client, status: int) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []), Reply(200, page()[:1]))
    api.on("GET", STREAM, Reply(status, {"error": "nope"}))
    started = time.monotonic()
    result = CONNECTOR.poll(account(api), {"cursor": "40230"}, wait=10, client=http)
    assert time.monotonic() - started < 5
    assert [e.event_id for e in result.events] == ["notification:40250"]


def test_the_wait_ends_at_its_deadline(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    api.on("GET", STREAM, EventStream(body=sse(page()[0]), delay=1.5))  # nothing arrives within the wait
    started = time.monotonic()
    result = CONNECTOR.poll(account(api), {"cursor": "40250"}, wait=0.3, client=http)
    assert time.monotonic() - started < 1.4
    assert result.events == ()


def test_an_interrupted_wait_ends_at_once(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    api.on("GET", STREAM, EventStream(body=sse(page()[0]), delay=1.5))
    asked: list[float] = []

    def interrupted() -> bool:
        asked.append(time.monotonic())
        return len(asked) > 1

    started = time.monotonic()
    CONNECTOR.poll(account(api), {"cursor": "40250"}, wait=30, interrupted=interrupted, client=http)
    assert time.monotonic() - started < 1.4 and len(asked) == 2


def test_streaming_off_only_polls(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, []))
    CONNECTOR.poll(account(api, streaming="off"), {"cursor": "1"}, wait=30, client=http)
    assert [r.path for r in api.requests] == [NOTIFICATIONS]


def test_a_separate_streaming_server(api: StandIn, http: httpx.Client) -> None:
    with StandIn() as streaming:
        streaming.on("GET", STREAM, EventStream(body=sse(page()[0])))
        api.on("GET", NOTIFICATIONS, Reply(200, []))
        result = CONNECTOR.poll(account(api, streaming_base=streaming.base_url + "/"), {"cursor": "1"}, wait=5,
                                client=http)
        assert streaming.only().path == STREAM
    assert [e.event_id for e in result.events] == ["notification:40250"]


def test_a_failing_instance_fails_the_poll(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", NOTIFICATIONS, Reply(401, fixture("mastodon", "error_401.json")))
    with pytest.raises(ConnectorError, match="access token is invalid"):
        CONNECTOR.poll(account(api), {"cursor": "1"}, client=http)


def test_poll_without_a_client(api: StandIn) -> None:
    api.on("GET", NOTIFICATIONS, Reply(200, page()[:1]))
    assert len(CONNECTOR.poll(account(api), {"cursor": "1"}).events) == 1


# --- sending -------------------------------------------------------------------------------------------------
def message(kind: Visibility = Visibility.PUBLIC, text: str = "@elodie@piaille.fr Nous regardons 🙏",
            **extra: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="reply-42", text=text, visibility=kind,
                           thread_key=MENTION if kind is Visibility.PUBLIC else "dm:110234567890123456",
                           reply_to_platform_id=MENTION,
                           recipient=Author(platform_user_id="110234567890123456", handle="elodie@piaille.fr"),
                           extra=extra)


def test_public_reply(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")))
    result = CONNECTOR.send(account(api, language="fr"), message(visibility="unlisted"), http)
    assert result.platform_message_id == "112345710000000100" and result.thread_key == MENTION
    request = api.only()
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["idempotency-key"] == "reply-42"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"status": "@elodie@piaille.fr Nous regardons 🙏", "visibility": "unlisted",
                              "in_reply_to_id": MENTION, "language": "fr"}


@pytest.mark.parametrize("answered,sent", [("public", "public"), ("private", "private"), ("direct", "public"),
                                           (None, "public")])
def test_public_replies_keep_the_answered_visibility(api: StandIn, http: httpx.Client, answered: str | None,
                                                     sent: str) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")))
    CONNECTOR.send(account(api), message(**({"visibility": answered} if answered else {})), http)
    assert api.only().json()["visibility"] == sent


def test_direct_reply_names_the_customer(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")))
    CONNECTOR.send(account(api), message(Visibility.PRIVATE, "Voici votre remboursement."), http)
    assert api.only().json() == {"status": "@elodie@piaille.fr Voici votre remboursement.",
                                 "visibility": "direct", "in_reply_to_id": MENTION}


def test_direct_reply_that_names_the_customer_is_kept(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")))
    CONNECTOR.send(account(api), message(Visibility.PRIVATE, "Merci @Elodie@piaille.fr, c'est fait."), http)
    assert api.only().json()["status"] == "Merci @Elodie@piaille.fr, c'est fait."


@pytest.mark.parametrize("text,expected", [
    ("hello", "@jo@x.org hello"),
    ("@jo@x.org hello", "@jo@x.org hello"),
    ("@jo@x.organic hello", "@jo@x.org @jo@x.organic hello"),
    ("@jo hello", "@jo@x.org @jo hello"),  # @jo alone may be someone else on our server
    ("mail bob@jo@x.org", "@jo@x.org mail bob@jo@x.org"),
])
def test_with_mention(text: str, expected: str) -> None:
    assert with_mention(text, "@jo@x.org") == expected


def test_a_mention_put_back_must_still_fit(api: StandIn, http: httpx.Client) -> None:
    fits = "a" * 500
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(Visibility.PRIVATE, fits), http)
    assert not caught.value.retryable and "500 characters" in caught.value.reason and api.requests == []
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json")))
    CONNECTOR.send(account(api, max_characters="1000"), message(Visibility.PRIVATE, fits), http)
    assert api.only().json()["status"] == "@elodie@piaille.fr " + fits


def test_the_default_hook_keeps_the_networks_limits() -> None:
    x = registry.get("x")
    assert x.limits_for({"max_characters": "9"}) is x.limits


def test_a_direct_message_needs_the_customers_name(api: StandIn, http: httpx.Client) -> None:
    nameless = OutboundMessage("k", "hi", Visibility.PRIVATE, "dm:1", None, Author(platform_user_id="1"))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), nameless, http)
    assert not caught.value.retryable and api.requests == []


def test_public_reply_needs_the_status_answered(api: StandIn, http: httpx.Client) -> None:
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), OutboundMessage("k", "hi", Visibility.PUBLIC, "t", None, None), http)
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), OutboundMessage("k", "hi", Visibility.NOTE, "t", None, None), http)
    assert api.requests == []


def test_rate_limit_is_retryable_with_mastodons_reset_time(api: StandIn, http: httpx.Client) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=120)).isoformat().replace("+00:00", "Z")
    api.on("POST", STATUSES, Reply(429, fixture("mastodon", "error_429.json"),
                                   headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                            "X-RateLimit-Reset": reset}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable and caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120


@pytest.mark.parametrize("status,payload,retryable,unauthorized,words", [
    (500, {"error": "boom"}, True, False, "server error 500"),
    (503, None, True, False, "server error 503"),
    (401, "error_401.json", False, True, "access token is invalid"),
    (403, {"error": "This action is not allowed"}, False, False, "not allowed"),
    (404, "error_404.json", False, False, "deleted"),
    (422, "error_422.json", False, False, "Text character limit of 500 exceeded"),
    (400, {"error": "bad"}, False, False, "400"),
])
def test_errors_are_mapped(api: StandIn, http: httpx.Client, status: int, payload: Any, retryable: bool,
                           unauthorized: bool, words: str) -> None:
    body = fixture("mastodon", payload) if isinstance(payload, str) else payload
    api.on("POST", STATUSES, Reply(status, body) if body is not None else Reply(status, body=b"<html>oops</html>"))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable is retryable and caught.value.unauthorized is unauthorized
    assert words in caught.value.reason


def test_timeouts_are_retryable(api: StandIn) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), quick)
    assert caught.value.retryable


def test_an_unexpected_answer_is_an_error(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", STATUSES, Reply(200, {"no": "id"}))
    with pytest.raises(SendError):
        CONNECTOR.send(account(api), message(), http)


def test_no_instance_address() -> None:
    nowhere = account()
    nowhere = type(nowhere)(**{**nowhere.__dict__, "settings": {}})
    with httpx.Client() as client, pytest.raises(ConnectorError, match="instance address"):
        CONNECTOR.send(nowhere, message(), client)


# --- connection test -----------------------------------------------------------------------------------------
def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/api/v1/accounts/verify_credentials", Reply(200, fixture("mastodon", "verify_credentials_200.json")))
    api.on("GET", "/api/v2/instance", Reply(200, fixture("mastodon", "instance_v2_200.json")))
    note = CONNECTOR.check_connection(account(api), http)
    assert note.startswith("connected as @aircompris@mastodon.example (account id 109876543210987654)")
    assert "allows 1000 characters" in note and "set “Character limit” to 1000 (it is 500)" in note
    assert "https://streaming.mastodon.example" in note
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    same = CONNECTOR.check_connection(account(api, max_characters="1000",
                                              streaming_base="https://streaming.mastodon.example"), http)
    assert "set" not in same


def test_check_connection_with_another_accounts_token(api: StandIn, http: httpx.Client) -> None:
    me = dict(fixture("mastodon", "verify_credentials_200.json"), id="1")
    api.on("GET", "/api/v1/accounts/verify_credentials", Reply(200, me))
    with pytest.raises(ConnectorError, match=re.escape("belongs to @aircompris@mastodon.example")):
        CONNECTOR.check_connection(account(api), http)


def test_check_connection_on_an_old_server(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/api/v1/accounts/verify_credentials", Reply(200, fixture("mastodon", "verify_credentials_200.json")))
    assert "Character limit unchecked" in CONNECTOR.check_connection(account(api), http)


def test_check_connection_refused(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/api/v1/accounts/verify_credentials", Reply(401, fixture("mastodon", "error_401.json")))
    with pytest.raises(SendError, match="access token is invalid"):
        CONNECTOR.check_connection(account(api), http)
