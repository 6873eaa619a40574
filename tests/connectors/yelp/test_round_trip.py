"""Yelp through Compris: the verification GET, a review webhook → the review fetched with our key → a case with its
stars → a public comment at the stand-in; an edit joins the thread, a removal marks the review deleted, and a
delivery for another location of the workspace reaches that location's account."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors import fixture, fixture_bytes
from compris.inbox import actions
from compris.kit.errors import Invalid
from compris.models import Case, Message, User
from compris.runtime import Runtime
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn

BUSINESS = "3l54GTr8-E3XPpxxnF_sAA"
OTHER = "kY3tH6wqzLqvRd2mYc8bXw"
REVIEW = "9CNz4nWU59PIZsiDV9sSVQ"
SECRET = "round-trip-secret"


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn, business: str = BUSINESS) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="yelp", external_id=business,
                     secrets={"api_key": "places-key", "access_token": "biz-token", "webhook_secret": SECRET},
                     account_settings={"api_base": api.base_url, "partner_api_base": api.base_url})


def _deliver(trip: RoundTrip, body: bytes, secret: str = SECRET) -> int:
    response = trip.client.post(f"/webhooks/{trip.account_id}?secret={secret}", content=body,
                                headers={"content-type": "application/json"})
    trip.world.run_jobs()
    return response.status_code


def test_review_to_public_comment(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    # Yelp's verification of the URL given to it (with its secret)
    answer = trip.client.get(f"/webhooks/{trip.account_id}?secret={SECRET}&verification=AbC123xyz")
    assert answer.status_code == 200 and answer.json() == {"verification": "AbC123xyz"}
    assert trip.client.get(f"/webhooks/{trip.account_id}?verification=AbC123xyz").status_code == 403

    # a forged delivery (no secret) is refused and stores nothing
    assert _deliver(trip, fixture_bytes("yelp", "webhook_new_review.json"), secret="guess") == 403
    assert api.requests == []

    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", Reply(200, fixture("yelp", "reviews_200.json")))
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(200, fixture("yelp", "respond_200.json")))
    body = fixture_bytes("yelp", "webhook_new_review.json")
    assert _deliver(trip, body) == 200
    assert _deliver(trip, body) == 200  # Yelp redelivers: stored once
    (fetch,) = api.requests
    assert fetch.path == f"/v3/businesses/{BUSINESS}/reviews" and fetch.headers["authorization"] == "Bearer places-key"
    review = trip.inbound(REVIEW)
    assert review.text.startswith("Quarante minutes d'attente") and review.rating == 2
    assert review.permalink is not None and REVIEW in review.permalink
    with runtime.db.transaction() as session:
        assert session.scalar(select(Case.id).where(Case.id == review.case_id)) is not None
        assert session.scalar(select(Message).where(Message.platform_message_id == REVIEW)) is not None
    assert "Élodie M." in trip.case_page(1)

    api.clear()
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(200, fixture("yelp", "respond_200.json")))
    reply_id = trip.reply(REVIEW, "Bonjour Élodie, merci pour votre retour. Nous revoyons nos réservations.",
                          "public")
    request = api.only()
    assert (request.method, request.path) == ("POST", f"/reviews/v1/{REVIEW}")
    assert request.headers["authorization"] == "Bearer biz-token"
    assert request.json() == {"response_text": "Bonjour Élodie, merci pour votre retour. Nous revoyons nos "
                              "réservations.", "response_type": "public_comment"}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id.startswith(f"{REVIEW}:response:")

    # no private answer to a reviewer on Yelp: refused with the reason, nothing sent
    with runtime.db.transaction() as session:
        case = session.get(Case, review.case_id)
        agent = session.get(User, world.agent.id)
        assert case is not None and agent is not None
        with pytest.raises(Invalid, match="no private messages"):
            actions.add_reply(session, runtime.publisher, actor=agent, case=case, text="Bonjour",
                              visibility="private", reply_to_message_id=review.id)
    assert len(api.requests) == 1

    # the reviewer edits the review: a new version in the same thread, fetched again
    api.clear()
    edited = fixture("yelp", "reviews_200.json")
    edited["reviews"][0].update(text="Ils m'ont répondu et rappelé. Mieux.", rating=4)
    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", Reply(200, edited))
    assert _deliver(trip, fixture_bytes("yelp", "webhook_edited.json")) == 200
    with runtime.db.transaction() as session:
        edit = session.scalar(select(Message).where(Message.platform_message_id.like(f"{REVIEW}:edited:%")))
        assert edit is not None and edit.text == "Ils m'ont répondu et rappelé. Mieux." and edit.rating == 4
        assert edit.thread_id == review.thread_id

    # then removes it: the review is marked deleted, its content removed (its stars stay, for the figures)
    assert _deliver(trip, fixture_bytes("yelp", "webhook_removed.json")) == 200
    removed = trip.inbound(REVIEW)
    assert removed.deleted_at is not None and removed.text == "" and removed.rating is not None
    assert len(trip.events("message_deleted")) == 1


def test_quota_refusal_is_final(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("GET", f"/v3/businesses/{BUSINESS}/reviews", Reply(200, fixture("yelp", "reviews_200.json")))
    api.on("POST", f"/reviews/v1/{REVIEW}", Reply(400, fixture("yelp", "error_quota.json")))
    assert _deliver(trip, fixture_bytes("yelp", "webhook_new_review.json")) == 200
    reply_id = trip.reply(REVIEW, "Merci pour votre retour.", "public")
    posts = [r for r in api.requests if r.method == "POST"]
    assert len(posts) == 1  # not retried
    failed = trip.message(reply_id)
    assert failed.delivery_state == "failed"
    assert failed.delivery_error is not None and "20 responses" in failed.delivery_error


def test_a_delivery_for_another_location_reaches_its_account(settings: Settings, runtime: Runtime, world: World,
                                                               api: StandIn) -> None:
    # Yelp posts every location's webhooks to the one URL registered for the partner
    first = _trip(settings, runtime, world, api)
    second = _trip(settings, runtime, world, api, business=OTHER)
    data = fixture("yelp", "webhook_new_review.json")
    data["data"]["id"] = OTHER
    reviews = fixture("yelp", "reviews_200.json")
    api.on("GET", f"/v3/businesses/{OTHER}/reviews", Reply(200, reviews))
    assert _deliver(first, json.dumps(data).encode()) == 200
    review = second.inbound(REVIEW, account_id=second.account_id)
    assert review.rating == 2 and review.text.startswith("Quarante")
    with runtime.db.transaction() as session:
        assert session.scalar(select(Message.id).where(Message.channel_account_id == first.account_id)) is None
