"""Tripadvisor through Compris, on both databases: the poll job reads the Content API's stand-in → a case with the
review's stars → the agent answers → the reply waits to be posted by hand (no request to Tripadvisor) → the agent
confirms → sent, and the case's first response is recorded (SLA)."""

from __future__ import annotations

from sqlalchemy import select

from compris.config import Settings
from compris.connectors import fixture
from compris.inbox import actions
from compris.models import ChannelAccount, Message, RawEvent, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent

from ..standin import Reply, StandIn
from .helpers import LOW, REVIEWS, account, case_of, connect, poll, review, send_jobs


def test_review_to_a_response_posted_by_hand(settings: Settings, runtime: Runtime, world: World,
                                            api: StandIn) -> None:
    trip = connect(settings, runtime, world, api)
    poll(trip)
    poll(trip)  # nothing new: nothing stored twice
    inbound = trip.inbound(LOW)
    assert inbound.rating == 2 and inbound.visibility == "public"
    assert inbound.permalink and "r987654321" in inbound.permalink
    case = case_of(trip, inbound)
    assert case.first_response_at is None
    with runtime.db.transaction() as session:
        assert len(list(session.scalars(select(RawEvent.id)))) == 2  # the two reviews, once each
    agent = Agent(trip.client, world.agent.email)
    page = agent.get(f"/cases/{case.number}").text
    assert "2 out of 5 stars" in page and "Long wait at check-in" in page
    assert "has no API for management responses" in page  # the composer says so before sending

    requests_before = len(api.requests)
    reply_id = trip.reply(LOW, "Thank you for your feedback, we have reviewed our check-in times.", "public")
    reply = trip.message(reply_id)
    assert reply.delivery_state == "manual"
    assert (reply.platform_extra or {})["manual_send_url"] == inbound.permalink
    assert send_jobs(trip) == [] and len(api.requests) == requests_before  # nothing sent to Tripadvisor
    page = agent.get(f"/cases/{case.number}").text
    assert "Tripadvisor has no API for management responses: copy this response, post it on Tripadvisor, then " \
           "confirm here." in page
    assert f'href="{inbound.permalink}" rel="noopener noreferrer" target="_blank"' in page
    assert f"/messages/{reply_id}/posted-by-hand" in page and "data-copy-target" in page
    assert case_of(trip, inbound).first_response_at is None  # not answered until it is posted

    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        message = session.get(Message, reply_id)
        assert user is not None and message is not None
        assert actions.confirm_manual_send(session, runtime.publisher, actor=user, message=message)
    trip.world.run_jobs()
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent" and sent.platform_message_id is None
    responded = case_of(trip, inbound).first_response_at
    assert responded is not None
    (event,) = trip.events("reply_sent")
    assert event.data["posted_by_hand"] is True and event.actor_user_id == world.agent.id
    assert send_jobs(trip) == [] and len(api.requests) == requests_before
    assert "Posted by hand on Tripadvisor" in agent.get(f"/cases/{case.number}").text


def test_a_restart_before_the_state_is_saved_has_no_gap_and_no_duplicate(settings: Settings, runtime: Runtime,
                                                                        world: World, api: StandIn) -> None:
    trip = connect(settings, runtime, world, api)
    poll(trip)
    state = account(trip).poll_state
    assert set(state["seen"]) == {"987654321", "987650001"}
    # a crash after the events were stored but before the state: the next poll starts from the old (empty) state
    with runtime.db.transaction() as session:
        row = session.get(ChannelAccount, trip.account_id)
        assert row is not None
        row.poll_state = {}
    api.clear()
    api.on("GET", REVIEWS, Reply(200, {"data": [review(987660000, "2026-03-15T08:00:00Z", rating=4),
                                                *fixture("tripadvisor", "reviews_en.json")["data"]]}))
    poll(trip)
    with runtime.db.transaction() as session:
        assert len(list(session.scalars(select(RawEvent.id)))) == 3  # the old two de-duplicated, the new one kept
        assert len(list(session.scalars(select(Message.id)))) == 3
    assert trip.inbound("987660000").rating == 4
    assert set(account(trip).poll_state["seen"]) == {"987654321", "987650001", "987660000"}


def test_a_refused_key_is_noted_on_the_account(settings: Settings, runtime: Runtime, world: World,
                                               api: StandIn) -> None:
    trip = connect(settings, runtime, world, api)
    api.clear()
    api.on("GET", REVIEWS, Reply(401, fixture("tripadvisor", "error_401.json")))
    poll(trip)
    row = account(trip)
    assert row.poll_error and "HTTP 401" in row.poll_error and "TA-key" not in row.poll_error
    assert row.poll_state == {}
