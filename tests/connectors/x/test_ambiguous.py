"""X after an ambiguous send: which failures may have created the post, and how Compris looks for it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import Choice, ConnectorError, SendError, Visibility
from compris.connectors.x import lookup

from ..standin import Reply, StandIn
from .test_x import BRAND, CONNECTOR, account, outbound

QUEUED = "2026-03-02T10:00:00+00:00"
POSTS = f"/2/users/{BRAND}/tweets"
DMS = "/2/dm_conversations/with/2200000000000000042/dm_events"


def _post(post_id: str, text: str, replied_to: str = "1890000000000000101",
          at: str = "2026-03-02T10:00:05.000Z") -> dict[str, object]:
    return {"id": post_id, "text": text, "created_at": at,
            "referenced_tweets": [{"type": "replied_to", "id": replied_to}]}


# --- which failures are ambiguous --------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_ambiguous(api: StandIn, http: httpx.Client, status: int) -> None:
    api.on("POST", "/2/tweets", Reply(status, {"title": "Internal Error"}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), http)
    assert caught.value.retryable and caught.value.ambiguous


def test_a_timeout_after_the_request_was_written_is_ambiguous(api: StandIn) -> None:
    api.on("POST", "/2/tweets", Reply(201, fixture("x", "create_post_201.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), quick)
    assert caught.value.retryable and caught.value.ambiguous
    assert len(api.requests) == 1  # X received it


@pytest.mark.parametrize("status", [429, 400, 403])
def test_a_clear_refusal_is_not_ambiguous(api: StandIn, http: httpx.Client, status: int) -> None:
    api.on("POST", "/2/tweets", Reply(status, fixture("x", "error_429.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url), outbound(), http)
    assert not caught.value.ambiguous


def test_a_refused_connection_is_not_ambiguous(http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base="http://127.0.0.1:9"), outbound(), http)
    assert caught.value.retryable and not caught.value.ambiguous


def test_a_failed_image_upload_is_not_ambiguous(api: StandIn, http: httpx.Client) -> None:
    from compris.connectors.base import Attachment
    api.on("POST", "/2/media/upload", Reply(500, {"title": "Internal Error"}))
    image = Attachment(kind="image", mime_type="image/png", data=b"\x89PNG", name="a.png")
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api_base=api.base_url),
                       dataclasses.replace(outbound(), attachments=(image,)), http)
    assert not caught.value.ambiguous


# --- finding a public reply --------------------------------------------------------------------

def test_a_reply_is_found_among_our_recent_posts(api: StandIn, http: httpx.Client) -> None:
    # X adds nothing we did not write here, but escapes "&" and shortens links
    message = outbound(queued_at=QUEUED)
    api.on("GET", POSTS, Reply(200, {"data": [
        _post("1890000000000001001", "@elodie_m another answer"),
        _post("1890000000000001000", "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM"),
    ], "meta": {"result_count": 2}}))
    found = CONNECTOR.find_sent(account(api_base=api.base_url), message, http)
    assert found is not None and found.platform_message_id == "1890000000000001000"
    request = api.only()
    assert request.query["since_id"] == "1890000000000000101"
    assert request.query["max_results"] == "100"
    assert "referenced_tweets" in request.query["tweet.fields"]
    assert request.headers["authorization"] == "Bearer user-token"


def test_a_post_answering_another_post_or_older_than_the_reply_is_not_ours(api: StandIn, http: httpx.Client) -> None:
    message = outbound(queued_at=QUEUED)
    text = "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM"
    api.on("GET", POSTS, Reply(200, {"data": [
        _post("1890000000000001002", text, replied_to="1890000000000000555"),
        _post("1890000000000001001", text, at="2026-03-02T09:00:00.000Z"),
    ]}))
    assert CONNECTOR.find_sent(account(api_base=api.base_url), message, http) is None


def test_the_lookup_follows_pages(api: StandIn, http: httpx.Client) -> None:
    message = outbound(queued_at=QUEUED)
    api.on("GET", POSTS,
           Reply(200, {"data": [_post("2", "@x other")], "meta": {"next_token": "page-2"}}),
           Reply(200, {"data": [_post("1", "@elodie_m Nous sommes désolés 🙏 écrivez-nous en DM")], "meta": {}}))
    found = CONNECTOR.find_sent(account(api_base=api.base_url), message, http)
    assert found is not None and found.platform_message_id == "1"
    assert api.requests[1].query["pagination_token"] == "page-2"


def test_when_x_cannot_be_asked_it_cannot_tell(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", POSTS, Reply(503, {"title": "Service Unavailable"}))
    with pytest.raises(ConnectorError, match="could not look on X"):
        CONNECTOR.find_sent(account(api_base=api.base_url), outbound(queued_at=QUEUED), http)


def test_a_reply_made_only_of_images_cannot_be_recognised(http: httpx.Client) -> None:
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), dataclasses.replace(outbound(), text=""), http)


def test_same_text_ignores_what_x_changes() -> None:
    assert lookup.same_text("@a @b Merci &amp; à bientôt https://t.co/xyz", "Merci & à bientôt https://example.com/x")
    assert lookup.same_text("@a Merci  \n à bientôt https://t.co/media", "Merci à bientôt")
    assert not lookup.same_text("@a Merci", "Merci beaucoup")


# --- finding a DM ------------------------------------------------------------------------------

def test_a_dm_is_found_in_the_conversation(api: StandIn, http: httpx.Client) -> None:
    message = outbound(Visibility.PRIVATE, queued_at=QUEUED)
    text = message.text
    api.on("GET", DMS, Reply(200, {"data": [
        {"id": "9", "event_type": "MessageCreate", "text": text, "sender_id": "2200000000000000042",
         "created_at": "2026-03-02T10:00:09.000Z"},  # the customer quoting us: not ours
        {"id": "8", "event_type": "MessageCreate", "text": text, "sender_id": BRAND,
         "created_at": "2026-03-02T10:00:04.000Z", "dm_conversation_id": f"{BRAND}-2200000000000000042"},
    ]}))
    found = CONNECTOR.find_sent(account(api_base=api.base_url), message, http)
    assert found is not None and found.platform_message_id == "8"
    assert found.thread_key == f"{BRAND}-2200000000000000042"
    assert api.only().query["event_types"] == "MessageCreate"


def test_an_older_identical_dm_is_not_ours(api: StandIn, http: httpx.Client) -> None:
    message = outbound(Visibility.PRIVATE, queued_at=QUEUED)
    api.on("GET", DMS, Reply(200, {"data": [
        {"id": "7", "text": message.text, "sender_id": BRAND, "created_at": "2026-03-01T10:00:00.000Z"},
    ], "meta": {"next_token": "more"}}))
    assert CONNECTOR.find_sent(account(api_base=api.base_url), message, http) is None
    assert len(api.requests) == 1  # older than the reply: no need to page further


def test_a_dm_offering_choices_is_matched_as_sent(api: StandIn, http: httpx.Client) -> None:
    from compris.connectors.choices import as_text
    choices = (Choice(label="Bien", payload="5"), Choice(label="Mal", payload="1"))
    message = dataclasses.replace(outbound(Visibility.PRIVATE, queued_at=QUEUED), text="Votre avis ?",
                                  choices=choices)
    api.on("GET", DMS, Reply(200, {"data": [
        {"id": "5", "text": as_text("Votre avis ?", choices), "sender_id": BRAND,
         "created_at": datetime(2026, 3, 2, 10, 1, tzinfo=UTC).isoformat()}]}))
    found = CONNECTOR.find_sent(account(api_base=api.base_url), message, http)
    assert found is not None and found.platform_message_id == "5"
