"""Google reviews: every fixture parsed, Pub/Sub notifications fetched, the polling cursor (no gap, no duplicate),
the reply PUT and DELETE against a stand-in, Google's errors mapped, and fuzzed payloads."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compris.connectors import fixture, fixture_bytes
from compris.connectors.base import (
    Attachment,
    Author,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.google import GoogleReviewsConnector
from compris.connectors.google.reviews import split_translation

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn
from .helpers import LOCATION, REVIEW, account, push

CONNECTOR = GoogleReviewsConnector()
LIST = f"/v4/{LOCATION}/reviews"


# --- inbound ---------------------------------------------------------------------------------------


def test_a_notification_names_the_review_and_enrich_fetches_it(api: StandIn, http: httpx.Client) -> None:
    (pending,) = CONNECTOR.parse(account(api), fixture_bytes("google", "push_new_review.json")).messages
    assert CONNECTOR.needs_enrichment(pending)
    assert pending.thread_key == REVIEW and pending.extra["notification"] == "NEW_REVIEW"
    api.on("GET", f"/v4/{REVIEW}", Reply(200, fixture("google", "review_fr.json")))
    review = CONNECTOR.enrich(account(api), pending, http)
    request = api.only()
    assert request.headers["authorization"] == "Bearer ya29.old"
    assert not CONNECTOR.needs_enrichment(review)
    assert review.rating == 2 and review.visibility is Visibility.PUBLIC
    assert review.text.startswith("Chambre 214 bruyante")
    assert review.thread_key == REVIEW and review.thread_title == "Review of Hôtel Compris Nice"
    assert review.author.name == "Élodie Marchand" and review.author.platform_user_id == f"reviewer:{REVIEW}"
    assert review.author.avatar_url and review.author.avatar_url.startswith("https://lh3.googleusercontent.com/")
    assert review.created_at == datetime(2026, 3, 14, 9, 12, 33, 512345, tzinfo=UTC)
    assert review.platform_message_id.startswith(REVIEW + "@")
    assert review.extra["star_rating"] == "TWO"


def test_enrich_renews_an_expired_token_for_the_fetch(api: StandIn, http: httpx.Client) -> None:
    (pending,) = CONNECTOR.parse(account(api), fixture_bytes("google", "push_updated_review.json")).messages
    api.on("GET", f"/v4/{REVIEW}", Reply(401, fixture("google", "error_401.json")),
           Reply(200, fixture("google", "review_fr.json")))
    api.on("POST", "/token", Reply(200, {"access_token": "ya29.new", "expires_in": 3599}))
    assert CONNECTOR.enrich(account(api), pending, http).rating == 2
    assert [r.headers.get("authorization") for r in api.requests if r.method == "GET"] == \
        ["Bearer ya29.old", "Bearer ya29.new"]


@pytest.mark.parametrize("status,name", [(404, "error_404.json"), (429, "error_429.json")])
def test_enrich_failures_are_connector_errors(api: StandIn, http: httpx.Client, status: int, name: str) -> None:
    (pending,) = CONNECTOR.parse(account(api), fixture_bytes("google", "push_new_review.json")).messages
    api.on("GET", f"/v4/{REVIEW}", Reply(status, fixture("google", name)))
    with pytest.raises(ConnectorError):  # the pipeline retries, then records the notification as it is
        CONNECTOR.enrich(account(api), pending, http)


def test_other_notifications_and_locations_are_skipped() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("google", "push_google_update.json"))
    assert parsed.messages == () and "GOOGLE_UPDATE" in parsed.skipped[0]
    other = account().__class__(**{**account().__dict__, "external_id": "accounts/1/locations/2"})
    parsed = CONNECTOR.parse(other, fixture_bytes("google", "push_new_review.json"))
    assert parsed.messages == () and "another location" in parsed.skipped[0]


def test_notification_field_spellings() -> None:
    import base64

    data = {"notificationType": "UPDATED_REVIEW", "reviewName": REVIEW, "locationName": LOCATION}
    body = json.dumps({"message": {"data": base64.b64encode(json.dumps(data).encode()).decode(),
                                   "messageId": "9"}}).encode()
    (pending,) = CONNECTOR.parse(account(), body).messages
    assert pending.thread_key == REVIEW
    assert CONNECTOR.routing_ids(body) == frozenset({LOCATION})
    assert CONNECTOR.routing_ids(b"garbage") == frozenset()


def test_every_polled_review_is_parsed() -> None:
    pages = [fixture("google", "reviews_page1.json"), fixture("google", "reviews_page2.json")]
    found = {}
    for page in pages:
        for review in page["reviews"]:
            messages = CONNECTOR.parse(account(), json.dumps({"review": review}).encode()).messages
            found[review["reviewId"]] = messages
    stars_only = found["AbFvOqk8Zz1stars"][0]
    assert stars_only.text == "" and stars_only.rating == 5
    translated = found["AbFvOqj7Translated"][0]
    assert translated.text == "Sehr freundliches Personal, das Zimmer war sauber."
    assert translated.extra["google_translation"] == "Very friendly staff, the room was clean."
    anonymous = found["AbFvOqi6Anonymous"][0]
    assert anonymous.rating == 1 and anonymous.author.name == "A Google user" and anonymous.author.avatar_url is None
    review, reply = found["AbFvOqh5Answered"]
    assert reply.is_own and reply.reply_to_platform_id == review.platform_message_id
    assert reply.platform_message_id == f"{LOCATION}/reviews/AbFvOqh5Answered/reply@2026-03-09T15:30:00.250Z"
    assert reply.text.startswith("Thank you Sarah") and reply.thread_key == review.thread_key


@pytest.mark.parametrize("comment,original,translation", [
    ("Super séjour", "Super séjour", None),
    ("(Translated by Google) Great stay\n\n(Original)\nSuper séjour", "Super séjour", "Great stay"),
    ("Super séjour\n\n(Translated by Google)\nGreat stay", "Super séjour", "Great stay"),
    ("(Translated by Google) Great\n\n(Original)\nSuper\n\n(Translated by Google) noise", "Super", "Great"),
])
def test_google_translations_keep_the_original(comment: str, original: str, translation: str | None) -> None:
    assert split_translation(comment) == (original, translation)


def test_an_edited_review_is_a_new_message_but_a_new_update_time_alone_is_not() -> None:
    review = fixture("google", "review_fr.json")
    first = CONNECTOR.parse(account(), json.dumps({"review": review}).encode()).messages[0]
    bumped = dict(review, updateTime="2026-03-15T08:00:00Z")
    assert CONNECTOR.parse(account(), json.dumps({"review": bumped}).encode()).messages[0].platform_message_id == \
        first.platform_message_id
    edited = dict(review, starRating="FOUR", comment="Ils ont tout réparé, merci !")
    second = CONNECTOR.parse(account(), json.dumps({"review": edited}).encode()).messages[0]
    assert second.platform_message_id != first.platform_message_id and second.thread_key == first.thread_key
    assert second.rating == 4


@pytest.mark.parametrize("body", [
    b"[]", b'{"review": 3}', b'{"review": {"name": "reviews/1"}}',
    b'{"review": {"name": "' + REVIEW.encode() + b'"}}',  # no time
    b'{"message": {"messageId": "1", "data": "!!!"}}',
    b'{"message": {"messageId": "1", "data": "e30="}}',  # {} : no type
])
def test_broken_payloads_are_unprocessable_or_skipped(body: bytes) -> None:
    with contextlib.suppress(UnprocessableEvent):
        parsed = CONNECTOR.parse(account(), body)
        assert parsed.messages == ()


_FUZZED = ["push_new_review.json", "push_updated_review.json", "review_fr.json", "reviews_page1.json",
           "reviews_page2.json"]


def _body(name: str, data: Any) -> bytes:
    if name.startswith("reviews_page"):  # one polled review (the event a poll stores)
        found = data.get("reviews") if isinstance(data, dict) else data
        return json.dumps({"review": found[0] if isinstance(found, list) and found else found}).encode()
    if name == "review_fr.json":
        return json.dumps({"review": data}).encode()
    return json.dumps(data).encode()


@given(name=st.sampled_from(_FUZZED), path=st.lists(st.integers(0, 20), max_size=8), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = _body(name, mutate(fixture("google", name), path, value))
    CONNECTOR.event_id(account(), push(body))
    CONNECTOR.routing_ids(body)
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


@given(data=st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_mutated_notification_data(data: bytes) -> None:
    import base64

    body = json.dumps({"message": {"messageId": "1", "data": base64.b64encode(data).decode()}}).encode()
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


# --- polling ---------------------------------------------------------------------------------------


def _serve_pages(api: StandIn) -> None:
    api.on("GET", LIST, Reply(200, fixture("google", "reviews_page1.json")),
           Reply(200, fixture("google", "reviews_page2.json")))


def test_first_poll_walks_the_pages_and_sets_the_cursor(api: StandIn, http: httpx.Client) -> None:
    _serve_pages(api)
    result = CONNECTOR.poll(account(api), {}, client=http)
    assert len(result.events) == 5 and result.secrets is None
    first, second = api.requests
    assert first.query == {"pageSize": "50", "orderBy": "updateTime desc"}
    assert second.query["pageToken"] == "CgwI0qKrzgYQwJ2ZpQMSCgoIMTIzNDU2Nzg"
    assert first.headers["authorization"] == "Bearer ya29.old"
    assert result.events[0].event_id == f"review:{REVIEW}@2026-03-14T09:12:33.512345Z"
    assert result.state["since"] == "2026-03-14T09:12:33.512345+00:00" and "walk" not in result.state
    assert CONNECTOR.parse(account(), result.events[0].body).messages[0].rating == 2


def test_first_poll_takes_only_the_newest(api: StandIn, http: httpx.Client) -> None:
    _serve_pages(api)
    result = CONNECTOR.poll(account(api, initial_fetch_limit="2"), {}, client=http)
    assert len(result.events) == 2 and len(api.requests) == 1
    assert result.state["since"] == "2026-03-14T09:12:33.512345+00:00"
    api.clear()
    _serve_pages(api)
    nothing = CONNECTOR.poll(account(api, initial_fetch_limit="0"), {}, client=http)
    assert nothing.events == () and nothing.state["since"] == "2026-03-14T09:12:33.512345+00:00"


def test_no_gap_and_no_duplicate_across_a_crash(api: StandIn, http: httpx.Client) -> None:
    _serve_pages(api)
    first = CONNECTOR.poll(account(api), {}, client=http)
    # "crash" before the state is saved: the next poll starts from the old state and fetches the same events
    api.clear()
    _serve_pages(api)
    again = CONNECTOR.poll(account(api), {}, client=http)
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events]  # deduplicated by the store
    # with the saved state, only what changed since: a new review and an edited one; the newest seen is taken
    # again (same event id: a duplicate the store drops) and the walk stops at the first older review
    page = fixture("google", "reviews_page1.json")
    new = copy.deepcopy(page["reviews"][1])
    new.update(name=f"{LOCATION}/reviews/NEW1", reviewId="NEW1", updateTime="2026-03-15T10:00:00Z",
               createTime="2026-03-15T10:00:00Z", starRating="THREE", comment="Correct.")
    edited = dict(page["reviews"][2], comment="Updated: very friendly staff!", updateTime="2026-03-15T09:00:00Z")
    api.clear()
    api.on("GET", LIST, Reply(200, {"reviews": [new, edited, page["reviews"][0], page["reviews"][1]],
                                    "nextPageToken": "more"}))
    later = CONNECTOR.poll(account(api), {"since": first.state["since"]}, client=http)
    assert [e.event_id for e in later.events] == [
        f"review:{LOCATION}/reviews/NEW1@2026-03-15T10:00:00Z",
        f"review:{LOCATION}/reviews/AbFvOqj7Translated@2026-03-15T09:00:00Z",
        f"review:{REVIEW}@2026-03-14T09:12:33.512345Z",
    ]
    assert len(api.requests) == 1  # the older review ended the walk: no second page
    assert later.state["since"] == "2026-03-15T10:00:00+00:00"


def test_a_long_walk_goes_on_at_the_next_poll(api: StandIn, http: httpx.Client,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.connectors.google import connector as module

    monkeypatch.setattr(module, "MAX_PAGES_PER_POLL", 1)
    _serve_pages(api)
    since = "2026-03-01T00:00:00+00:00"
    first = CONNECTOR.poll(account(api), {"since": since}, client=http)
    assert len(first.events) == 3
    assert first.state["since"] == since  # not moved until the walk reaches it
    assert first.state["walk"] == {"token": "CgwI0qKrzgYQwJ2ZpQMSCgoIMTIzNDU2Nzg",
                                   "newest": "2026-03-14T09:12:33.512345+00:00"}
    second = CONNECTOR.poll(account(api), first.state, client=http)
    assert api.requests[-1].query["pageToken"] == "CgwI0qKrzgYQwJ2ZpQMSCgoIMTIzNDU2Nzg"
    assert len(second.events) == 2 and "walk" not in second.state
    assert second.state["since"] == "2026-03-14T09:12:33.512345+00:00"


def test_an_expired_page_token_restarts_the_walk(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", LIST, Reply(400, fixture("google", "error_400_page_token.json")),
           Reply(200, fixture("google", "reviews_page2.json")))
    state = {"since": "2026-03-01T00:00:00+00:00", "walk": {"token": "stale", "newest": "2026-03-14T00:00:00Z"}}
    result = CONNECTOR.poll(account(api), state, client=http)
    assert [r.query.get("pageToken") for r in api.requests] == ["stale", None]
    assert len(result.events) == 2 and result.state["since"] == "2026-03-10T21:17:45.900000+00:00"


def test_poll_renews_the_access_token_and_returns_it(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", LIST, Reply(401, fixture("google", "error_401.json")),
           Reply(200, fixture("google", "reviews_page2.json")))
    api.on("POST", "/token", Reply(200, {"access_token": "ya29.new", "expires_in": 3599}))
    result = CONNECTOR.poll(account(api), {"since": "2026-03-01T00:00:00Z"}, client=http)
    assert result.secrets == {"access_token": "ya29.new"} and len(result.events) == 2
    assert api.requests[-1].headers["authorization"] == "Bearer ya29.new"


def test_poll_failures_are_errors_and_the_interval_is_kept(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", LIST, Reply(403, fixture("google", "error_403.json")))
    with pytest.raises(ConnectorError, match="PERMISSION_DENIED"):
        CONNECTOR.poll(account(api), {}, client=http)
    api.clear()
    import time

    recent = {"since": "2026-03-01T00:00:00Z", "at": time.time()}
    assert CONNECTOR.poll(account(api, poll_minutes="5"), recent, client=http).events == ()
    assert CONNECTOR.poll(account(api, poll_minutes="0"), {}, client=http).state == {}
    assert api.requests == []


# --- outbound --------------------------------------------------------------------------------------


def reply(text: str = "Bonjour Élodie, merci pour votre retour. Nous avons réparé la climatisation.",
          **changes: Any) -> OutboundMessage:
    values: dict[str, Any] = dict(idempotency_key="reply-7", text=text, visibility=Visibility.PUBLIC,
                                  thread_key=REVIEW, reply_to_platform_id=f"{REVIEW}@abc", recipient=None)
    values.update(changes)
    return OutboundMessage(**values)


def test_reply_is_a_put_of_the_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(200, fixture("google", "reply_200.json")))
    result = CONNECTOR.send(account(api), reply(), http)
    request = api.only()
    assert request.headers["authorization"] == "Bearer ya29.old"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"comment": "Bonjour Élodie, merci pour votre retour. Nous avons réparé la "
                                         "climatisation."}
    assert result.platform_message_id == f"{REVIEW}/reply@2026-03-14T11:02:09.402311Z"
    assert result.thread_key == REVIEW
    # the same PUT again (a retry after a crash): Google keeps one reply, ours
    again = CONNECTOR.send(account(api), reply(), http)
    assert again.platform_message_id == result.platform_message_id and len(api.requests) == 2


@pytest.mark.parametrize("name,status,retryable,unauthorized,words", [
    ("error_429.json", 429, True, False, "quota"),
    ("error_401.json", 401, False, True, "401"),
    ("error_403.json", 403, False, False, "PERMISSION_DENIED"),
    ("error_404.json", 404, False, False, "deleted"),
    ("error_400_page_token.json", 400, False, False, "INVALID_ARGUMENT"),
])
def test_errors_are_mapped(api: StandIn, http: httpx.Client, name: str, status: int, retryable: bool,
                           unauthorized: bool, words: str) -> None:
    headers = {"retry-after": "30"} if status == 429 else {}
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(status, fixture("google", name), headers=headers))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), http)
    error = caught.value
    assert (error.retryable, error.unauthorized) == (retryable, unauthorized) and words in error.reason
    if status == 429:
        assert error.retry_after == 30.0


def test_server_errors_and_timeouts_are_retryable(api: StandIn) -> None:
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(503, body=b"unavailable"))
    with httpx.Client(timeout=2.0) as client, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), client)
    assert caught.value.retryable
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(200, {}, delay=0.5))
    with httpx.Client(timeout=0.1) as client, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), client)
    assert caught.value.retryable


def test_what_cannot_be_sent(api: StandIn, http: httpx.Client) -> None:
    cases = [
        (reply(visibility=Visibility.PRIVATE, recipient=Author("x")), "no private messages"),
        (reply(visibility=Visibility.NOTE), "no private messages"),
        (reply(attachments=(Attachment(kind="image", url="https://x/y.png", mime_type="image/png"),)), "text only"),
        (reply(thread_key="dm:someone"), "not a Google review"),
        (reply(thread_key="accounts/1/locations/2/reviews/3"), "another location"),
        (reply(text="   "), "needs text"),
        (reply(text="é" * 2049), "4096 bytes"),
    ]
    for message, words in cases:
        with pytest.raises(SendError) as caught:
            CONNECTOR.send(account(api), message, http)
        assert not caught.value.retryable and words in caught.value.reason
    assert api.requests == []
    assert len(("é" * 2048).encode()) == 4096
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(200, {"comment": "x"}))
    assert CONNECTOR.send(account(api), reply(text="é" * 2048), http).platform_message_id == \
        f"{REVIEW}/reply@sent:reply-7"


def test_without_an_access_token_the_send_job_renews_first(api: StandIn, http: httpx.Client) -> None:
    ctx = account(api)
    ctx = ctx.__class__(**{**ctx.__dict__, "secrets": {**ctx.secrets, "access_token": ""}})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(ctx, reply(), http)
    assert caught.value.unauthorized and api.requests == []
    api.on("POST", "/token", Reply(200, {"access_token": "ya29.new"}))
    assert CONNECTOR.refresh_credentials(ctx, http) == {"access_token": "ya29.new"}


def test_delete_reply(api: StandIn, http: httpx.Client) -> None:
    api.on("DELETE", f"/v4/{REVIEW}/reply", Reply(200, {}), Reply(404, fixture("google", "error_404.json")))
    assert CONNECTOR.delete_reply(account(api), REVIEW, http) == "reply deleted"
    assert api.requests[0].method == "DELETE" and api.requests[0].headers["authorization"] == "Bearer ya29.old"
    assert "no reply" in CONNECTOR.delete_reply(account(api), REVIEW, http)
    with pytest.raises(SendError, match="another location"):
        CONNECTOR.delete_reply(account(api), "accounts/1/locations/2/reviews/3", http)


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", LIST, Reply(200, fixture("google", "reviews_page1.json")))
    assert CONNECTOR.check_connection(account(api), http) == f"connected to {LOCATION}: 5 reviews, average 4.1"
    assert api.only().query == {"pageSize": "1"}
    api.on("GET", LIST, Reply(403, fixture("google", "error_403.json")))
    with pytest.raises(ConnectorError, match="PERMISSION_DENIED"):
        CONNECTOR.check_connection(account(api), http)


def test_network_facts() -> None:
    limits = CONNECTOR.limits
    assert CONNECTOR.reviews and CONNECTOR.supports_idempotency and CONNECTOR.supports_polling
    assert not CONNECTOR.can_start_private and CONNECTOR.accepts_webhooks
    assert limits.public_max_length == 4096 and limits.private_attachments is None
    assert limits.public_attachments is None and limits.emoji
    for field in (*CONNECTOR.secret_fields, *CONNECTOR.setting_fields, "external_id"):
        assert CONNECTOR.field_labels.get(field), field
        assert CONNECTOR.field_help.get(field) or field == "client_id", field
