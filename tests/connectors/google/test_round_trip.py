"""Google reviews through Compris, on both databases: a Pub/Sub push (Google-signed JWT checked against the
stand-in's JWKS) → the review fetched → a case with its stars → the agent's public reply → one ``PUT …/reply``;
then the poll sees the review with our reply and records nothing twice; a forged push stores nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from compris.config import Settings
from compris.connectors import fixture, fixture_bytes
from compris.connectors.google.reviews import reply_message_id, review_message_id
from compris.inbox.polling import POLL_ACCOUNT
from compris.models import Case, ChannelAccount, Message, RawEvent
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn
from .helpers import AUDIENCE, JWKS_PATH, LOCATION, REVIEW, SERVICE_ACCOUNT, rsa_key, serve_jwks, token


def _trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    return RoundTrip(settings, runtime, world, network="google", external_id=LOCATION,
                     secrets={"client_secret": "gcs", "refresh_token": "1//rt", "access_token": "ya29.old"},
                     account_settings={"client_id": "cid.apps.googleusercontent.com", "api_base": api.base_url,
                                       "token_url": f"{api.base_url}/token",
                                       "jwks_url": f"{api.base_url}{JWKS_PATH}",
                                       "location_title": "Hôtel Compris Nice", "push_audience": AUDIENCE,
                                       "push_service_account": SERVICE_ACCOUNT})


def _poll(trip: RoundTrip) -> None:
    with trip.runtime.db.transaction() as session:
        enqueue(session, trip.runtime.publisher, workspace_id=trip.world.workspace_id, kind=POLL_ACCOUNT,
                payload={"account_id": trip.account_id}, dedupe_key=None)
    trip.world.run_jobs()


def test_push_review_case_reply(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    serve_jwks(api)
    review = fixture("google", "review_fr.json")
    api.on("GET", f"/v4/{REVIEW}", Reply(200, review))
    api.on("PUT", f"/v4/{REVIEW}/reply", Reply(200, fixture("google", "reply_200.json")))

    body = fixture_bytes("google", "push_new_review.json")
    trip.deliver(body, {"authorization": f"Bearer {token()}"})
    trip.deliver(body, {"authorization": f"Bearer {token()}"})  # Pub/Sub redelivers: stored once
    review_id = review_message_id(REVIEW, review["starRating"], review["comment"])
    inbound = trip.inbound(review_id)
    assert inbound.rating == 2 and inbound.visibility == "public"
    assert inbound.text.startswith("Chambre 214 bruyante")
    with runtime.db.transaction() as session:
        case = session.get(Case, inbound.case_id)
        assert case is not None and case.subject == "Review of Hôtel Compris Nice"
        assert session.scalar(select(func.count(RawEvent.id))) == 1

    reply_id = trip.reply(review_id, "Bonjour Élodie, merci pour votre retour. Nous avons réparé la climatisation.",
                          "public")
    puts = [r for r in api.requests if r.method == "PUT"]
    assert len(puts) == 1
    assert puts[0].path == f"/v4/{REVIEW}/reply" and puts[0].headers["authorization"] == "Bearer ya29.old"
    assert puts[0].json() == {"comment": "Bonjour Élodie, merci pour votre retour. Nous avons réparé la "
                                         "climatisation."}
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent"
    assert sent.platform_message_id == reply_message_id(REVIEW, "2026-03-14T11:02:09.402311Z")

    # the poll then sees the review with our reply: the same messages, nothing new
    answered = dict(review, reviewReply=fixture("google", "reply_200.json"))
    api.on("GET", f"/v4/{LOCATION}/reviews", Reply(200, {"reviews": [answered], "totalReviewCount": 1}))
    _poll(trip)
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count(Message.id))) == 2
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None and account.poll_error is None
        assert account.poll_state["since"] == "2026-03-14T09:12:33.512345+00:00"


def test_a_forged_push_stores_nothing(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    serve_jwks(api)
    body = fixture_bytes("google", "push_new_review.json")
    for bearer, status in ((token(key=rsa_key(1)), 401), (token(aud="https://other.example"), 403)):
        response = trip.client.post(f"/webhooks/{trip.account_id}", content=body,
                                    headers={"content-type": "application/json", "authorization": f"Bearer {bearer}"})
        assert response.status_code == status
    response = trip.client.post(f"/webhooks/{trip.account_id}", content=body,
                                headers={"content-type": "application/json"})
    assert response.status_code == 401
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count(RawEvent.id))) == 0


def test_polled_reviews_with_an_existing_reply(settings: Settings, runtime: Runtime, world: World,
                                               api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    page = fixture("google", "reviews_page2.json")
    api.on("GET", f"/v4/{LOCATION}/reviews", Reply(401, fixture("google", "error_401.json")), Reply(200, page))
    api.on("POST", "/token", Reply(200, {"access_token": "ya29.renewed", "expires_in": 3599}))
    _poll(trip)
    answered = page["reviews"][1]
    name = answered["name"]
    review = trip.inbound(review_message_id(name, answered["starRating"], answered["comment"]))
    assert review.rating == 3
    echo = trip.inbound(reply_message_id(name, answered["reviewReply"]["updateTime"]))
    assert echo.direction == "outbound" and echo.thread_id == review.thread_id  # the reply made on Google
    anonymous = page["reviews"][0]
    assert trip.inbound(review_message_id(anonymous["name"], "ONE", anonymous["comment"])).rating == 1
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None and account.poll_error is None
        from compris.channels.accounts import context
        assert context(account, settings.secret_key).secrets["access_token"] == "ya29.renewed"
        raw = list(session.scalars(select(RawEvent.event_key).order_by(RawEvent.id)))
    assert raw == [f"review:{r['name']}@{r['updateTime']}" for r in page["reviews"]]
    assert json.loads(json.dumps(raw))  # plain strings


def test_a_poll_whose_state_was_lost_stores_nothing_twice(settings: Settings, runtime: Runtime, world: World,
                                                          api: StandIn) -> None:
    trip = _trip(settings, runtime, world, api)
    api.on("GET", f"/v4/{LOCATION}/reviews", Reply(200, fixture("google", "reviews_page2.json")))
    _poll(trip)
    with runtime.db.transaction() as session:
        counts = (session.scalar(select(func.count(RawEvent.id))), session.scalar(select(func.count(Message.id))))
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        account.poll_state = {}  # "crashed" before the state was saved: the same reviews come again
    _poll(trip)
    with runtime.db.transaction() as session:
        assert (session.scalar(select(func.count(RawEvent.id))), session.scalar(select(func.count(Message.id)))) \
            == counts == (2, 3)

