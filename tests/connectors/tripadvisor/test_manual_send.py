"""Replies posted by hand (on both databases): queue_outbound keeps a Tripadvisor public reply in ``manual`` with no
send job; "I posted it" (confirm_manual_send) counts it as sent exactly once; "Not posted" (cancel_manual_send) fails
it, Retry puts it back in ``manual``; the send job never sends a ``manual`` row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.inbox import actions
from compris.inbox.actions import SEND_REPLY
from compris.kit.errors import Conflict, Invalid
from compris.models import Case, CaseEvent, Message, Outbox, User
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import StandIn
from .helpers import LOW, case_of, connect, poll, send_jobs


@pytest.fixture
def trip(settings: Settings, runtime: Runtime, world: World, api: StandIn) -> RoundTrip:
    trip = connect(settings, runtime, world, api)
    poll(trip)
    return trip


def act(trip: RoundTrip, do: Callable[..., Any], message_id: int) -> Any:
    with trip.runtime.db.transaction() as session:
        user = session.get(User, trip.world.agent.id)
        message = session.get(Message, message_id)
        assert user is not None and message is not None
        return do(session, trip.runtime.publisher, actor=user, message=message)


def outbox(trip: RoundTrip, message_id: int) -> Outbox:
    with trip.runtime.db.transaction() as session:
        row = session.scalar(select(Outbox).where(Outbox.message_id == message_id))
        assert row is not None
        return row


def events(trip: RoundTrip, case_id: int, kind: str) -> list[CaseEvent]:
    with trip.runtime.db.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def test_a_public_reply_waits_to_be_posted_by_hand(trip: RoundTrip, api: StandIn) -> None:
    before = len(api.requests)
    reply_id = trip.reply(LOW, "Thank you, we are sorry about the wait.", "public")
    reply = trip.message(reply_id)
    assert reply.delivery_state == "manual" and outbox(trip, reply_id).state == "manual"
    assert actions.is_manual(reply) and actions.manual_send_url(reply) == trip.inbound(LOW).permalink
    assert send_jobs(trip) == [] and len(api.requests) == before
    case = case_of(trip, reply)
    assert case.first_response_at is None and case.assignee_id == trip.world.agent.id  # the agent took the case
    (queued,) = events(trip, case.id, "reply_queued")
    assert queued.data["message_id"] == reply_id


def test_i_posted_it_counts_as_a_sent_reply_once(trip: RoundTrip) -> None:
    reply_id = trip.reply(LOW, "Thank you, we are sorry about the wait.", "public")
    assert act(trip, actions.confirm_manual_send, reply_id) is True
    sent = trip.message(reply_id)
    row = outbox(trip, reply_id)
    assert sent.delivery_state == "sent" and row.state == "sent" and row.sent_at is not None
    assert sent.platform_extra["posted_by_hand"]["user_id"] == trip.world.agent.id
    case = case_of(trip, sent)
    first = case.first_response_at
    assert first is not None
    (event,) = events(trip, case.id, "reply_sent")
    assert event.data["posted_by_hand"] is True and event.actor_user_id == trip.world.agent.id
    assert event.data["message_id"] == reply_id and event.data["platform_message_id"] is None
    # twice: nothing more
    assert act(trip, actions.confirm_manual_send, reply_id) is False
    assert len(events(trip, case.id, "reply_sent")) == 1 and case_of(trip, sent).first_response_at == first
    # a confirmed reply cannot be "not posted"
    with pytest.raises(Conflict):
        act(trip, actions.cancel_manual_send, reply_id)
    assert send_jobs(trip) == []


def test_only_a_reply_to_post_by_hand_can_be_confirmed(trip: RoundTrip, world: World) -> None:
    inbound = trip.inbound(LOW)
    with pytest.raises(Invalid, match="not a reply to post by hand"):
        act(trip, actions.confirm_manual_send, inbound.id)
    with pytest.raises(Invalid):
        act(trip, actions.cancel_manual_send, inbound.id)
    # an ordinary reply on another network (the sandbox) is not one either
    with trip.runtime.db.transaction() as session:
        case = session.get(Case, inbound.case_id)
        user = session.get(User, world.agent.id)
        assert case is not None and user is not None
        note = actions.add_note(session, trip.runtime.publisher, actor=user, case=case, text="internal")
        note_id = note.id
    with pytest.raises(Invalid):
        act(trip, actions.confirm_manual_send, note_id)


def test_not_posted_fails_it_and_retry_keeps_it_for_posting_by_hand(trip: RoundTrip) -> None:
    reply_id = trip.reply(LOW, "Thank you, we are sorry about the wait.", "public")
    assert act(trip, actions.cancel_manual_send, reply_id) is True
    failed = trip.message(reply_id)
    assert failed.delivery_state == "failed" and failed.delivery_error == actions.NOT_POSTED
    assert outbox(trip, reply_id).last_error == actions.NOT_POSTED
    case = case_of(trip, failed)
    (event,) = events(trip, case.id, "reply_failed")
    assert event.actor_user_id == trip.world.agent.id and event.data["reason"] == actions.NOT_POSTED
    assert case.first_response_at is None
    assert act(trip, actions.cancel_manual_send, reply_id) is False  # twice: nothing more
    with pytest.raises(Conflict):  # not posted, so not confirmable until it is retried
        act(trip, actions.confirm_manual_send, reply_id)
    act(trip, actions.retry_send, reply_id)
    again = trip.message(reply_id)
    assert again.delivery_state == "manual" and again.delivery_error is None and send_jobs(trip) == []
    assert act(trip, actions.confirm_manual_send, reply_id) is True
    assert case_of(trip, again).first_response_at is not None


def test_the_send_job_skips_a_manual_row(trip: RoundTrip, api: StandIn) -> None:
    reply_id = trip.reply(LOW, "Thank you, we are sorry about the wait.", "public")
    row = outbox(trip, reply_id)
    before = len(api.requests)
    with trip.runtime.db.transaction() as session:  # as if a send job had been queued for it anyway
        enqueue(session, trip.runtime.publisher, workspace_id=trip.world.workspace_id, kind=SEND_REPLY,
                payload={"outbox_id": row.id}, dedupe_key=None)
    trip.world.run_jobs()
    assert trip.message(reply_id).delivery_state == "manual" and outbox(trip, reply_id).attempts == 0
    assert len(api.requests) == before


def test_the_same_idempotency_key_gives_the_same_manual_reply(trip: RoundTrip) -> None:
    inbound = trip.inbound(LOW)
    with trip.runtime.db.transaction() as session:
        case = session.get(Case, inbound.case_id)
        user = session.get(User, trip.world.agent.id)
        assert case is not None and user is not None
        first = actions.add_reply(session, trip.runtime.publisher, actor=user, case=case, text="Merci.",
                                  visibility="public", idempotency_key="k-1").id
        second = actions.add_reply(session, trip.runtime.publisher, actor=user, case=case, text="Merci.",
                                   visibility="public", idempotency_key="k-1").id
    assert first == second and trip.message(first).delivery_state == "manual"


def test_no_automatic_public_reply_is_kept_to_post_by_hand(trip: RoundTrip) -> None:
    from compris.sla.wait import send_ack

    inbound = trip.inbound(LOW)
    with trip.runtime.db.transaction() as session:
        case = session.get(Case, inbound.case_id)
        message = session.get(Message, inbound.id)
        assert case is not None and message is not None
        assert send_ack(session, trip.runtime.publisher, case, message, "We answer within 2 hours.") is None
        with pytest.raises(Invalid, match="posted by hand"):
            actions.queue_outbound(session, trip.runtime.publisher, case=case, text="Auto", visibility="public",
                                   origin=actions.AUTO_ACK)
    assert send_jobs(trip) == []
