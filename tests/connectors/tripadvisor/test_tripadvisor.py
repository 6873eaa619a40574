"""The Tripadvisor connector against a local stand-in of the Content API: reviews polled and parsed, errors mapped,
the restart/gap behaviour of the 5-review window, the by-hand link; fuzzing of the polled review events."""

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

from compris.connectors import fixture
from compris.connectors.base import (
    AccountContext,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.tripadvisor import TripAdvisorConnector
from compris.connectors.tripadvisor.connector import (
    MANAGEMENT_CENTER_URL,
    TripAdvisorError,
    languages_of,
    review_message,
)

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

LOCATION = "188150"
KEY = "TA-key-0123456789ABCDEF"
CONNECTOR = TripAdvisorConnector()
REVIEWS = f"/api/v1/location/{LOCATION}/reviews"


def account(api: StandIn | None = None, **settings_: Any) -> AccountContext:
    values: dict[str, Any] = {"api_base": f"{api.base_url}/api/v1"} if api else {}
    values.setdefault("poll_minutes", "0")
    values.update(settings_)
    return AccountContext(account_id=7, workspace_id=1, network="tripadvisor", external_id=LOCATION,
                          settings=values, secrets={"api_key": KEY})


def review(review_id: int, date: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = copy.deepcopy(fixture("tripadvisor", "reviews_en.json")["data"][0])
    base.update({"id": review_id, "published_date": date, **fields})
    return base


def serve(api: StandIn, reviews: list[dict[str, Any]]) -> None:
    """The stand-in's newest reviews from now on (and no request recorded yet)."""
    api.clear()
    api.on("GET", REVIEWS, Reply(200, {"data": reviews}))


def test_reviews_are_polled_in_each_language(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", REVIEWS, Reply(200, fixture("tripadvisor", "reviews_en.json")),
           Reply(200, fixture("tripadvisor", "reviews_fr.json")))
    result = CONNECTOR.poll(account(api), {}, client=http)
    first, second = api.requests
    assert (first.method, first.path) == ("GET", REVIEWS)
    assert first.query == {"key": KEY, "language": "en"} and second.query == {"key": KEY, "language": "fr"}
    assert first.headers["accept"] == "application/json"
    assert [e.event_id for e in result.events] == ["review:987654321", "review:987650001", "review:987655555"]
    assert set(result.state["seen"]) == {"987654321", "987650001", "987655555"}
    assert result.state["seen"]["987654321"] == "2026-03-14T18:22:05Z"
    # nothing new: no event, the same reviews remembered
    again = CONNECTOR.poll(account(api), result.state, client=http)
    assert again.events == () and set(again.state["seen"]) == set(result.state["seen"])


def test_a_review_becomes_a_public_thread_with_stars() -> None:
    parsed = CONNECTOR.parse(account(), json.dumps({"location_id": LOCATION, "language": "en", "review": fixture(
        "tripadvisor", "reviews_en.json")["data"][0]}).encode())
    (message,) = parsed.messages
    assert message.platform_message_id == "987654321" and message.thread_key == "987654321"
    assert message.visibility is Visibility.PUBLIC and message.rating == 2
    assert message.thread_title == "Long wait at check-in"
    assert message.text.startswith("The room was not ready at 4pm")
    assert message.created_at == datetime(2026, 3, 14, 18, 22, 5, tzinfo=UTC)
    assert message.permalink is not None and message.permalink.startswith("https://www.tripadvisor.com/ShowUserReviews")
    assert message.author.handle == "SamTravels88" and message.author.platform_user_id == "username:SamTravels88"
    assert message.author.avatar_url and message.author.avatar_url.startswith("https://media-cdn.tripadvisor.com/")
    assert message.extra["subratings"] == {"Value": 3.0, "Service": 1.0}
    assert message.extra["trip_type"] == "Couples" and message.extra["reviewer_location"] == "London, United Kingdom"
    assert message.extra["review_url"] == message.permalink and message.extra["helpful_votes"] == 3


@pytest.mark.parametrize("name", ["reviews_en.json", "reviews_fr.json"])
def test_every_fixture_review_parses(name: str) -> None:
    for item in fixture("tripadvisor", name)["data"]:
        message = review_message(item)
        assert message.rating in (1, 2, 5) and message.text
    answered = review_message(fixture("tripadvisor", "reviews_en.json")["data"][1])
    assert answered.extra["owner_response"] is True and answered.rating == 5
    french = review_message(fixture("tripadvisor", "reviews_fr.json")["data"][0])
    assert french.extra["lang"] == "fr" and french.permalink and "tripadvisor.fr" in french.permalink
    assert french.author.handle == "Elodie M"  # a username with a space is kept as the name shown


@pytest.mark.parametrize("value,stars", [(5, 5), ("4", 4), (3.0, 3), (0, None), (6, None), ("x", None),
                                         (None, None), (True, None), (float("nan"), None)])
def test_bubbles_are_stars(value: Any, stars: int | None) -> None:
    assert review_message(review(1, "2026-03-01T00:00:00Z", rating=value)).rating == stars


def test_a_review_of_another_location_is_skipped() -> None:
    body = json.dumps({"location_id": "999", "review": review(5, "2026-03-01T00:00:00Z", location_id=999)}).encode()
    parsed = CONNECTOR.parse(account(), body)
    assert parsed.messages == () and parsed.skipped


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"review": 3}', b'{"review": {"id": null}}',
                                  b'{"review": {"id": "../../x"}}', b'{"review": {"id": true}}'])
def test_unreadable_events_are_unprocessable(body: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


def test_a_crash_before_the_state_is_saved_refetches_and_no_review_is_lost(api: StandIn, http: httpx.Client) -> None:
    serve(api, [review(3, "2026-03-03T10:00:00Z"), review(2, "2026-03-02T10:00:00Z")])
    first = CONNECTOR.poll(account(api, languages="en"), {}, client=http)
    # the process dies before the events are committed: the next poll starts from the same (empty) state
    retried = CONNECTOR.poll(account(api, languages="en"), {}, client=http)
    assert [e.event_id for e in retried.events] == [e.event_id for e in first.events]  # same ids: de-duplicated
    serve(api, [review(n, f"2026-03-0{n}T10:00:00Z") for n in (4, 3, 2)])
    later = CONNECTOR.poll(account(api, languages="en"), retried.state, client=http)
    assert [e.event_id for e in later.events] == ["review:4"]  # no gap, no duplicate
    assert "possible_gaps" not in later.state


def test_more_than_five_new_reviews_between_two_polls_is_noted(api: StandIn, http: httpx.Client,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    serve(api, [review(1, "2026-03-01T10:00:00Z")])
    state = CONNECTOR.poll(account(api, languages="en"), {}, client=http).state
    serve(api, [review(n, f"2026-03-{n:02d}T10:00:00Z") for n in range(20, 15, -1)])  # 5 new, all newer
    result = CONNECTOR.poll(account(api, languages="en"), state, client=http)
    assert len(result.events) == 5 and result.state["possible_gaps"] == {"en": 1}
    assert "may have been missed" in caplog.text and KEY not in caplog.text


def test_the_seen_list_stays_bounded(api: StandIn, http: httpx.Client) -> None:
    seen = {str(n): f"2025-01-01T00:00:{n % 60:02d}Z" for n in range(1000, 1300)}
    serve(api, [review(5, "2026-03-05T10:00:00Z")])
    result = CONNECTOR.poll(account(api, languages="en"), {"seen": seen}, client=http)
    assert len(result.state["seen"]) == 200 and "5" in result.state["seen"]


def test_polls_are_spaced_by_poll_minutes(api: StandIn, http: httpx.Client) -> None:
    serve(api, [review(5, "2026-03-05T10:00:00Z")])
    state = {"seen": {}, "polled_at": datetime.now(UTC).isoformat()}
    skipped = CONNECTOR.poll(account(api, languages="en", poll_minutes="15"), state, client=http)
    assert skipped.events == () and skipped.state == state and api.requests == []
    assert CONNECTOR.poll(account(api, languages="en", poll_minutes=""), state, client=http).events == ()
    assert len(CONNECTOR.poll(account(api, languages="en", poll_minutes="0"), state, client=http).events) == 1


@pytest.mark.parametrize("status,name,words", [
    (401, "error_401.json", "refused the Content API key"),
    (403, "error_403.json", "not allowed from this server"),
    (429, "error_429.json", "rate limit"),
    (400, "error_400_location.json", "location id"),
    (404, None, "no such location"),
    (500, None, "HTTP 500"),
])
def test_api_errors_are_explained_without_the_key(api: StandIn, http: httpx.Client, status: int, name: str | None,
                                                  words: str) -> None:
    api.on("GET", REVIEWS, Reply(status, fixture("tripadvisor", name) if name else None, body=b"oops",
                                 headers={"retry-after": "30"} if status == 429 else {}))
    with pytest.raises(TripAdvisorError) as caught:
        CONNECTOR.poll(account(api), {}, client=http)
    assert words in str(caught.value) and KEY not in str(caught.value)
    assert caught.value.status == status
    if status == 429:
        assert caught.value.retry_after == 30.0


def test_unreachable_api_and_bad_settings(http: httpx.Client) -> None:
    ctx = account(languages="en", api_base="http://127.0.0.1:9/api/v1")
    with pytest.raises(ConnectorError) as caught:
        CONNECTOR.poll(ctx, {}, client=http)
    assert "could not be reached" in str(caught.value) and KEY not in str(caught.value)
    no_key = AccountContext(account_id=1, workspace_id=1, network="tripadvisor", external_id=LOCATION,
                            settings={"poll_minutes": "0"}, secrets={})
    with pytest.raises(ConnectorError, match="no Content API key"):
        CONNECTOR.poll(no_key, {}, client=http)
    bad_location = AccountContext(account_id=1, workspace_id=1, network="tripadvisor", external_id="../admin",
                                  settings={"poll_minutes": "0"}, secrets={"api_key": KEY})
    with pytest.raises(ConnectorError, match="is a number"):
        CONNECTOR.poll(bad_location, {}, client=http)


def test_a_review_list_without_data_is_an_error(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", REVIEWS, Reply(200, {"nothing": []}))
    with pytest.raises(TripAdvisorError, match="no data"):
        CONNECTOR.poll(account(api), {}, client=http)
    api.on("GET", REVIEWS, Reply(200, body=b"<html>"))
    with pytest.raises(TripAdvisorError, match="no JSON"):
        CONNECTOR.poll(account(api), {}, client=http)


def test_check_connection_reads_the_location(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/api/v1/location/{LOCATION}/details", Reply(200, fixture("tripadvisor", "location_details.json")))
    assert CONNECTOR.check_connection(account(api), http) == (
        "location 188150: Hôtel Compris Paris (1873 reviews, rated 4.0)")
    assert api.only().query == {"key": KEY, "language": "en"}
    api.clear()
    api.on("GET", f"/api/v1/location/{LOCATION}/details", Reply(401, fixture("tripadvisor", "error_401.json")))
    with pytest.raises(ConnectorError, match="HTTP 401"):
        CONNECTOR.check_connection(account(api), http)


@pytest.mark.parametrize("raw,expected", [
    (None, ("en", "fr")), ("", ("en", "fr")), ("fr", ("fr",)), (" de , it,de ", ("de", "it")),
    ("pt-BR;es", ("pt-BR", "es")), (["ja", "zh_CN"], ("ja", "zh_CN")), ("&x=1,en", ("en",)),
])
def test_languages_setting(raw: Any, expected: tuple[str, ...]) -> None:
    assert languages_of({"languages": raw} if raw is not None else {}) == expected


def outbound(**extra: Any) -> OutboundMessage:
    return OutboundMessage(idempotency_key="1:k", text="Thank you for your review.", visibility=Visibility.PUBLIC,
                           thread_key="987654321", reply_to_platform_id="987654321", recipient=None, extra=extra)


def test_the_by_hand_link_is_the_reviews_page() -> None:
    url = "https://www.tripadvisor.com/ShowUserReviews-g187147-d188150-r987654321-Hotel.html"
    assert CONNECTOR.manual_send_url(account(), outbound(review_url=url)) == url
    assert CONNECTOR.manual_send_url(account(), outbound(review_url="https://www.tripadvisor.co.uk/x")) == (
        "https://www.tripadvisor.co.uk/x")
    for unsafe in ("javascript:alert(1)", "https://tripadvisor.com.evil.example/x", "http://www.tripadvisor.com/x"):
        assert CONNECTOR.manual_send_url(account(), outbound(review_url=unsafe)) == MANAGEMENT_CENTER_URL
    assert CONNECTOR.manual_send_url(account(), outbound()) == MANAGEMENT_CENTER_URL


def test_nothing_is_ever_sent(http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(), outbound(), http)
    assert not caught.value.retryable and "no API for management responses" in caught.value.reason
    with pytest.raises(SendError):
        CONNECTOR.send(account(), OutboundMessage(idempotency_key="k", text="x", visibility=Visibility.PRIVATE,
                                                  thread_key="dm:1", reply_to_platform_id=None, recipient=None), http)


def test_network_facts() -> None:
    assert CONNECTOR.reviews and CONNECTOR.manual_public_replies and CONNECTOR.supports_polling
    assert not CONNECTOR.accepts_webhooks and not CONNECTOR.supports_idempotency
    assert CONNECTOR.limits.public_attachments is None and CONNECTOR.limits.length_unit == "characters"
    assert set(CONNECTOR.field_labels) == {"external_id", "api_key", "languages", "poll_minutes"}
    assert set(CONNECTOR.field_help) == set(CONNECTOR.field_labels)


def _envelope(name: str, index: int) -> dict[str, Any]:
    return {"location_id": LOCATION, "language": "en", "review": fixture("tripadvisor", name)["data"][index]}


@given(source=st.sampled_from([("reviews_en.json", 0), ("reviews_en.json", 1), ("reviews_fr.json", 0)]),
       path=st.lists(st.integers(0, 20), max_size=6), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_reviews_parse_or_are_unprocessable(source: tuple[str, int], path: list[int], value: Any) -> None:
    body = json.dumps(mutate(_envelope(*source), path, value)).encode()
    with contextlib.suppress(UnprocessableEvent):
        parsed = CONNECTOR.parse(account(), body)
        for message in parsed.messages:
            assert message.rating is None or 1 <= message.rating <= 5
            assert message.permalink is None or message.permalink.startswith("https://")


@given(st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_random_bytes_are_unprocessable(body: bytes) -> None:
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)
