"""Yelp: the webhook's secret URL and verification, de-duplication, every fixture parsed, fuzzing, the review fetch
and the R2R response against a local stand-in, Yelp's errors mapped."""

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
    Attachment,
    Author,
    ConnectorError,
    OutboundMessage,
    SendError,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
)
from compris.connectors.yelp import YelpConnector
from compris.connectors.yelp.connector import has_emoji

from ..meta.helpers import json_values, mutate
from ..standin import Reply, StandIn

BUSINESS = "3l54GTr8-E3XPpxxnF_sAA"
REVIEW = "9CNz4nWU59PIZsiDV9sSVQ"
SECRET = "s3cr3t-webhook-token"
CONNECTOR = YelpConnector()
WEBHOOKS = ["webhook_new_review.json", "webhook_edited.json", "webhook_removed.json", "webhook_batch.json"]


def account(api: StandIn | None = None, business: str = BUSINESS, **secrets: str) -> AccountContext:
    base = {"api_base": api.base_url, "partner_api_base": api.base_url, "client_id": "client-7"} if api else {}
    return AccountContext(account_id=9, workspace_id=1, network="yelp", external_id=business, settings=base,
                          secrets={"api_key": "places-key", "access_token": "biz-token", "webhook_secret": SECRET,
                                   **secrets})


def delivery(body: bytes, secret: str | None = SECRET, method: str = "POST") -> WebhookRequest:
    return WebhookRequest(method=method, headers={"content-type": "application/json"},
                          query={} if secret is None else {"secret": secret}, body=body)


# --- verification and authentication -------------------------------------------------------
def test_verification_echoes_the_string_when_the_url_carries_the_secret() -> None:
    request = WebhookRequest("GET", {}, {"verification": "abcXYZ123", "secret": SECRET}, b"")
    answer = CONNECTOR.handshake(account(), request)
    assert answer is not None and answer.status_code == 200
    assert json.loads(answer.body) == {"verification": "abcXYZ123"}


@pytest.mark.parametrize("query,status", [
    ({"verification": "abc"}, 403),  # no secret: not our URL
    ({"verification": "abc", "secret": "wrong"}, 403),
    ({"verification": "<script>", "secret": SECRET}, 400),  # never reflected
    ({"verification": "", "secret": SECRET}, 400),
])
def test_verification_refused(query: dict[str, str], status: int) -> None:
    answer = CONNECTOR.handshake(account(), WebhookRequest("GET", {}, query, b""))
    assert answer is not None and answer.status_code == status
    assert b"<script>" not in answer.body


def test_other_requests_are_no_handshake() -> None:
    assert CONNECTOR.handshake(account(), WebhookRequest("GET", {}, {"secret": SECRET}, b"")) is None
    assert CONNECTOR.handshake(account(), WebhookRequest("POST", {}, {"verification": "a"}, b"{}")) is None


def test_deliveries_are_accepted_only_with_the_secret() -> None:
    body = fixture_bytes("yelp", "webhook_new_review.json")
    CONNECTOR.verify(account(), delivery(body))
    for wrong in (None, "", "s3cr3t", SECRET + "x"):
        with pytest.raises(SignatureError) as exc:
            CONNECTOR.verify(account(), delivery(body, wrong))
        assert exc.value.status_code == 403
    with pytest.raises(SignatureError) as exc:
        CONNECTOR.verify(account(), delivery(body, method="GET"))
    assert exc.value.status_code == 405
    no_secret = AccountContext(account_id=9, workspace_id=1, network="yelp", external_id=BUSINESS)
    with pytest.raises(SignatureError):
        CONNECTOR.verify(no_secret, delivery(body))


# --- de-duplication and routing --------------------------------------------------------------
def test_event_id_per_update_and_stable_across_redeliveries() -> None:
    body = fixture_bytes("yelp", "webhook_new_review.json")
    key = CONNECTOR.event_id(account(), delivery(body))
    assert key == f"{BUSINESS}:{REVIEW}:NEW_REVIEW_EVENT:2026-12-05T19:30:27.731910"
    assert CONNECTOR.event_id(account(), delivery(json.dumps(json.loads(body), indent=1).encode())) == key
    edited = CONNECTOR.event_id(account(), delivery(fixture_bytes("yelp", "webhook_edited.json")))
    removed = CONNECTOR.event_id(account(), delivery(fixture_bytes("yelp", "webhook_removed.json")))
    assert len({key, edited, removed}) == 3
    later = fixture("yelp", "webhook_new_review.json")
    later["time"] = "2026-12-05T19:31:00"
    assert CONNECTOR.event_id(account(), delivery(json.dumps(later).encode())) != key


def test_event_id_of_a_batch_and_of_an_unreadable_body() -> None:
    key = CONNECTOR.event_id(account(), delivery(fixture_bytes("yelp", "webhook_batch.json")))
    assert key.startswith("yelp:") and len(key) <= 300
    assert CONNECTOR.event_id(account(), delivery(b"[1]")).startswith("sha256:")


def test_yelp_event_id_is_used_when_given() -> None:
    data = fixture("yelp", "webhook_new_review.json")
    data["data"]["updates"][0]["event_id"] = "IsKxQAYZNqCjvRRmNoiCUw"
    assert CONNECTOR.event_id(account(), delivery(json.dumps(data).encode())) == f"{BUSINESS}:IsKxQAYZNqCjvRRmNoiCUw"


def test_routing_names_the_business() -> None:
    assert CONNECTOR.routing_ids(fixture_bytes("yelp", "webhook_batch.json")) == {BUSINESS}
    assert CONNECTOR.routing_ids(b"not json") == frozenset()


# --- parsing -----------------------------------------------------------------------------------
def test_new_review() -> None:
    (review,) = CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_new_review.json")).messages
    assert review.platform_message_id == REVIEW and review.thread_key == REVIEW
    assert review.visibility is Visibility.PUBLIC
    assert review.rating is None and review.extra["webhook_rating"] == 2  # the stars come from the fetch
    assert review.author.platform_user_id == "vey7Vnlh-M0bLtpd1nB9Aw"
    assert review.created_at == datetime(2026, 12, 5, 19, 30, 27, 731910, tzinfo=UTC)
    assert review.text == "" and CONNECTOR.needs_enrichment(review)
    assert review.extra["language"] == "fr" and review.extra["business_id"] == BUSINESS


def test_edited_review_is_a_new_version_in_the_same_thread() -> None:
    (edit,) = CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_edited.json")).messages
    assert edit.platform_message_id.startswith(f"{REVIEW}:edited:") and edit.thread_key == REVIEW
    assert edit.reply_to_platform_id == REVIEW and edit.rating is None and edit.extra["edited"] is True
    assert CONNECTOR.needs_enrichment(edit)


def test_removed_review_is_reported_deleted() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_removed.json"))
    assert parsed.messages == ()
    (status,) = parsed.statuses
    assert (status.platform_message_id, status.status) == (REVIEW, "deleted")


def test_batch() -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_batch.json"))
    assert [(m.platform_message_id, m.extra["webhook_rating"]) for m in parsed.messages] == [
        ("D73wpY6vVS75JXlZjJvmSA", 5), ("Qm1tzR5YdxVsbbJ7CqcB2w", 1)]
    assert [s.platform_message_id for s in parsed.statuses] == ["oVfA3cVt0hMy6rO0JxL0yg"]
    assert parsed.skipped == ("event type NEW_PHOTO_EVENT is not handled",)


def test_another_business_is_skipped() -> None:
    parsed = CONNECTOR.parse(account(business="other-business"), fixture_bytes("yelp", "webhook_batch.json"))
    assert parsed.messages == () and parsed.statuses == () and len(parsed.skipped) == 1


@pytest.mark.parametrize("rating,stars", [(1.0, 1), (4.5, 5), (4.4, 4), (0, 1), (7, 5), ("5", None), (None, None),
                                           (True, None)])
def test_ratings_are_whole_stars(rating: Any, stars: int | None) -> None:
    data = fixture("yelp", "webhook_new_review.json")
    data["data"]["updates"][0]["rating"] = rating
    (review,) = CONNECTOR.parse(account(), json.dumps(data).encode()).messages
    assert review.extra["webhook_rating"] == stars


@pytest.mark.parametrize("name", WEBHOOKS)
def test_every_fixture_parses(name: str) -> None:
    parsed = CONNECTOR.parse(account(), fixture_bytes("yelp", name))
    assert parsed.messages or parsed.statuses


@pytest.mark.parametrize("body", [b"", b"[]", b'{"object":"page"}', b'{"object":"business"}',
                                  b'{"object":"business","data":{"id":"x","updates":[]}}',
                                  b'{"object":"business","time":"yesterday","data":{"id":"' + BUSINESS.encode()
                                  + b'","updates":[{"event_type":"NEW_REVIEW_EVENT","review_id":"r"}]}}'])
def test_malformed_deliveries_are_unprocessable(body: bytes) -> None:
    try:
        parsed = CONNECTOR.parse(account(), body)
    except UnprocessableEvent:
        return
    assert parsed.messages == () and parsed.statuses == ()


@given(name=st.sampled_from(WEBHOOKS), path=st.lists(st.integers(0, 20), max_size=6), value=json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_payloads_parse_or_are_unprocessable(name: str, path: list[int], value: Any) -> None:
    body = json.dumps(mutate(fixture("yelp", name), path, value)).encode()
    request = delivery(body)
    CONNECTOR.verify(account(), request)
    assert isinstance(CONNECTOR.event_id(account(), request), str)
    assert isinstance(CONNECTOR.routing_ids(body), frozenset)
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), body)


# --- the review fetch ----------------------------------------------------------------------------
def parsed_review() -> Any:
    return CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_new_review.json")).messages[0]


def test_enrich_fetches_the_review(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", Reply(200, fixture("yelp", "reviews_200.json")))
    review = CONNECTOR.enrich(account(api), parsed_review(), http)
    request = api.only()
    assert request.headers["authorization"] == "Bearer places-key"
    assert request.query == {"limit": "50", "sort_by": "newest", "locale": "fr_FR"}
    assert review.text.startswith("Quarante minutes d'attente") and review.rating == 2
    assert review.author.name == "Élodie M." and review.author.platform_user_id == "vey7Vnlh-M0bLtpd1nB9Aw"
    assert review.permalink is not None and f"hrid={REVIEW}" in review.permalink
    assert review.extra["time_created"] == "2026-12-05 11:29:58"
    assert not CONNECTOR.needs_enrichment(review)
    assert CONNECTOR.enrich(account(api), review, http) is review  # nothing more to fetch


def test_enrich_takes_the_fetched_rating_for_an_edit(api: StandIn, http: httpx.Client) -> None:
    data = fixture("yelp", "reviews_200.json")
    data["reviews"][0]["rating"] = 4
    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", Reply(200, data))
    (edit,) = CONNECTOR.parse(account(), fixture_bytes("yelp", "webhook_edited.json")).messages
    assert CONNECTOR.enrich(account(api), edit, http).rating == 4
    assert "locale" not in api.only().query  # the edit event gives no language


@pytest.mark.parametrize("reply,error", [
    (Reply(200, {"reviews": [], "total": 0}), ConnectorError),  # not (yet) listed: retried by the pipeline
    (Reply(200, {"reviews": "nope"}), ConnectorError),
    (Reply(429, fixture("yelp", "error_rate_limit.json"), headers={"retry-after": "3"}), SendError),
    (Reply(500, fixture("yelp", "error_500.json")), SendError),
])
def test_enrich_failures_are_connector_errors(api: StandIn, http: httpx.Client, reply: Reply,
                                              error: type[Exception]) -> None:
    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", reply)
    with pytest.raises(error):
        CONNECTOR.enrich(account(api), parsed_review(), http)


def test_enrich_needs_the_api_key(http: httpx.Client) -> None:
    no_key = AccountContext(account_id=9, workspace_id=1, network="yelp", external_id=BUSINESS,
                            secrets={"webhook_secret": SECRET})
    with pytest.raises(ConnectorError, match="API key"):
        CONNECTOR.enrich(no_key, parsed_review(), http)


# --- responses -------------------------------------------------------------------------------------
def response(text: str = "Bonjour Élodie, merci pour votre retour. Nous revoyons nos réservations du samedi.",
             **changes: Any) -> OutboundMessage:
    fields: dict[str, Any] = {"idempotency_key": "reply-42", "text": text, "visibility": Visibility.PUBLIC,
                              "thread_key": REVIEW, "reply_to_platform_id": REVIEW,
                              "recipient": Author(platform_user_id="vey7Vnlh-M0bLtpd1nB9Aw")}
    return OutboundMessage(**{**fields, **changes})


def test_public_comment(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(200, fixture("yelp", "respond_200.json")))
    result = CONNECTOR.send(account(api), response(), http)
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/reviews/v1/{REVIEW}")
    assert request.headers["authorization"] == "Bearer biz-token"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"response_text": "Bonjour Élodie, merci pour votre retour. Nous revoyons nos "
                              "réservations du samedi.", "response_type": "public_comment"}
    assert result.platform_message_id == f"{REVIEW}:response:reply-42" and result.thread_key == REVIEW


def test_an_edit_is_answered_on_its_review(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(200, body=b""))
    CONNECTOR.send(account(api), response(reply_to_platform_id=f"{REVIEW}:edited:2026-12-06T08:02:11"), http)
    assert api.only().path == f"/reviews/v1/{REVIEW}"


@pytest.mark.parametrize("message,reason", [
    (response("Merci ! 😊"), "emoji"),
    (response("Bravo 🇫🇷"), "emoji"),
    (response("x" * 5001), "5,000"),
    (response("   "), "empty"),
    (response(visibility=Visibility.PRIVATE), "public comments only"),
    (response(visibility=Visibility.NOTE), "internal notes"),
    (response(attachments=(Attachment(kind="image", url="https://x/y.png"),)), "text only"),
])
def test_refused_before_any_call(api: StandIn, http: httpx.Client, message: OutboundMessage, reason: str) -> None:
    with pytest.raises(SendError) as exc:
        CONNECTOR.send(account(api), message, http)
    assert not exc.value.retryable and reason in exc.value.reason
    assert api.requests == []


def test_exactly_5000_characters_are_sent(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(200, {}))
    CONNECTOR.send(account(api), response("é" * 5000), http)
    assert len(api.only().json()["response_text"]) == 5000


@pytest.mark.parametrize("reply,retryable,wait,words", [
    (Reply(400, fixture("yelp", "error_quota.json")), False, None,
     "20 responses per location per business owner per day"),
    (Reply(400, fixture("yelp", "error_invalid_text.json")), False, None, "too similar"),
    (Reply(400, fixture("yelp", "error_permission.json")), False, None, "R2R_PERMISSION_DENIED"),
    (Reply(403, {"error": {"id": "FORBIDDEN", "description": "Not a partner"}}), False, None, "Not a partner"),
    (Reply(429, fixture("yelp", "error_rate_limit.json"), headers={"retry-after": "7"}), True, 7.0,
     "rate limit"),
    (Reply(503, body=b"<html>down</html>"), True, None, "server error 503"),
    (Reply(500, fixture("yelp", "error_500.json")), True, None, "INTERNAL_ERROR"),
])
def test_yelp_errors(api: StandIn, http: httpx.Client, reply: Reply, retryable: bool, wait: float | None,
                     words: str) -> None:
    api.on("POST", f"/reviews/v1/{REVIEW}", reply)
    with pytest.raises(SendError) as exc:
        CONNECTOR.send(account(api), response(), http)
    assert exc.value.retryable is retryable and exc.value.retry_after == wait
    assert words in exc.value.reason and not exc.value.unauthorized


def test_an_expired_token_is_unauthorized(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(401, fixture("yelp", "error_invalid_token.json")))
    with pytest.raises(SendError) as exc:
        CONNECTOR.send(account(api), response(), http)
    assert exc.value.unauthorized and not exc.value.retryable and "INVALID_TOKEN" in exc.value.reason


def test_unreachable_is_retryable(http: httpx.Client) -> None:
    closed = AccountContext(account_id=9, workspace_id=1, network="yelp", external_id=BUSINESS,
                            settings={"partner_api_base": "http://127.0.0.1:9"},
                            secrets={"access_token": "t", "webhook_secret": SECRET})
    with pytest.raises(SendError) as exc:
        CONNECTOR.send(closed, response(), http)
    assert exc.value.retryable


def test_no_private_reply_and_no_window_for_public_ones() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    private = CONNECTOR.reply_window(Visibility.PRIVATE, now, now)
    assert not private.open and private.reason is not None and "public comments only" in private.reason
    assert CONNECTOR.reply_window(Visibility.PUBLIC, datetime(2020, 1, 1, tzinfo=UTC), now).open
    assert CONNECTOR.private_reply_target({"review_id": REVIEW}) is None and not CONNECTOR.can_start_private


# --- tokens and connection check ------------------------------------------------------------------
def test_refresh_credentials(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/oauth2/token", Reply(200, fixture("yelp", "token_200.json")))
    renewed = CONNECTOR.refresh_credentials(account(api, refresh_token="r-1", client_secret="cs"), http)
    assert renewed == {"access_token": fixture("yelp", "token_200.json")["access_token"]}
    request = api.only()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    from urllib.parse import parse_qs
    assert parse_qs(request.body.decode()) == {"client_id": ["client-7"], "client_secret": ["cs"],
                                               "grant_type": ["refresh_token"], "refresh_token": ["r-1"]}
    api.clear()
    api.on("POST", "/oauth2/token", Reply(200, {**fixture("yelp", "token_200.json"), "refresh_token": "r-2"}))
    renewed = CONNECTOR.refresh_credentials(account(api, refresh_token="r-1", client_secret="cs"), http)
    assert renewed is not None and renewed["refresh_token"] == "r-2"


def test_refresh_refused_or_impossible(api: StandIn, http: httpx.Client) -> None:
    assert CONNECTOR.refresh_credentials(account(api), http) is None  # no refresh token
    api.on("POST", "/oauth2/token", Reply(404, {"error": {"id": "TOKEN_NOT_FOUND",
                                                          "description": "Supplied refresh token does not exist."}}))
    with pytest.raises(ConnectorError, match="TOKEN_NOT_FOUND"):
        CONNECTOR.refresh_credentials(account(api, refresh_token="r-1", client_secret="cs"), http)


def test_check_connection(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/v1/business_owner/me/profile", Reply(200, fixture("yelp", "business_owner_200.json")))
    assert CONNECTOR.check_connection(account(api), http) == "responses post as Chris Sample (manager)"
    assert api.only().headers["authorization"] == "Bearer biz-token"


# --- facts -----------------------------------------------------------------------------------------
def test_network_facts() -> None:
    limits = CONNECTOR.limits
    assert limits.public_max_length == 5000 and limits.private_max_length is None
    assert limits.emoji is False and limits.daily_public_replies == 20
    assert limits.public_attachments is None and limits.private_attachments is None
    assert CONNECTOR.reviews and not CONNECTOR.manual_public_replies and not CONNECTOR.supports_idempotency
    assert CONNECTOR.accepts_webhooks and not CONNECTOR.supports_polling
    assert "webhook_secret" in CONNECTOR.generated_fields
    for name in ("external_id", *CONNECTOR.secret_fields, *CONNECTOR.setting_fields):
        assert CONNECTOR.field_labels[name] and CONNECTOR.field_help[name]


@pytest.mark.parametrize("text,found", [
    ("Merci beaucoup !", False), ("© 2026 Chez Martine™ — à bientôt → ★", False), ("«guillemets» ½", False),
    ("😀", True), ("✅ fait", True), ("❤️", True), ("👍🏽", True), ("🇫🇷", True), ("👨‍👩‍👧", True),
])
def test_emoji_detection(text: str, found: bool) -> None:
    assert has_emoji(text) is found
