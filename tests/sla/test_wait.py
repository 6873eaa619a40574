"""Expected wait recorded on arrival, the automatic acknowledgement, and the accuracy of predictions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from compris.connectors.base import Visibility
from compris.inbox import actions
from compris.models import (
    Case,
    ChannelAccount,
    DeliveryState,
    Direction,
    Message,
    Outbox,
    SlaPolicy,
    User,
    WaitPrediction,
)
from compris.sla import wait
from tests.conftest import World
from tests.routing.helpers import agent, case, frozen, inbound, team
from tests.sla.conftest import Network


def test_ack_text_in_the_customers_language() -> None:
    assert wait.ack_text("en", 25) == ("We have received your message; our current response time is about "
                                       "25 minutes.")
    assert wait.ack_text("fr", 25) == ("Nous avons bien reçu votre message ; notre délai de réponse actuel est "
                                       "d'environ 25 minutes.")
    assert wait.ack_text("fr", 120).endswith("2 heures.")
    assert "as soon as" in wait.ack_text(None, None)
    assert [wait.rounded_minutes(timedelta(seconds=s)) for s in (5, 61, 600, 1490)] == [1, 2, 10, 25]


def test_auto_ack_is_sent_once_per_opening_and_does_not_stop_the_clock(world: World, network: Network) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Alice", capacity=0, teams=(care,))
        s.add(SlaPolicy(workspace_id=world.workspace_id, name="All", first_response_s=600))
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        wait.set_publication(s, account, auto_ack=True)
        # history: enough cases answered in 20 minutes (with less, the wait is unknown: no figure)
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    for i in range(wait.MIN_HISTORY):
        with frozen(t0 - timedelta(hours=1) - timedelta(minutes=i)):
            old = inbound(world.runtime, world.account.id, "old", author=f"old{i}", kind="dm")
        with world.runtime.db.transaction() as s:
            c = s.get(Case, old)
            assert c is not None
            c.first_response_at = c.first_inbound_at + timedelta(minutes=20)  # type: ignore[operator]
            c.status = "resolved"
    with frozen(t0) as clock:
        cid = inbound(world.runtime, world.account.id, "Bonjour, mon vol est annulé", author="marie", kind="dm")
        inbound(world.runtime, world.account.id, "Vous êtes là ?", author="marie", kind="dm")  # appended: no ack
        with world.runtime.db.transaction() as s:
            acks = list(s.scalars(select(Message).where(Message.case_id == cid,
                                                        Message.direction == Direction.OUTBOUND)))
            assert len(acks) == 1
            assert acks[0].platform_extra == {"origin": "auto_ack", "auto_ack": True}
            assert acks[0].author_user_id is None
            assert "20 minutes" in acks[0].text
            assert s.scalar(select(Outbox.id).where(Outbox.message_id == acks[0].id)) is not None
            prediction = s.scalars(select(WaitPrediction).where(WaitPrediction.case_id == cid)).one()
            assert prediction.predicted_s == 20 * 60 and prediction.actual_s is None
        world.run_jobs()  # the acknowledgement goes out
        with world.runtime.db.transaction() as s:
            sent = s.get(Message, acks[0].id)
            assert sent is not None and sent.delivery_state == DeliveryState.SENT
        c = case(world.runtime, cid)
        assert c.first_response_at is None
        assert c.sla_first_response_due == t0 + timedelta(minutes=10)  # the ack is no answer
        assert c.assignee_id is None
        clock.advance(minutes=15)
        with world.runtime.db.transaction() as s:
            actor = s.get(User, world.agent.id)
            c2 = s.get(Case, cid)
            assert actor is not None and c2 is not None
            actions.add_reply(s, world.runtime.publisher, actor=actor, case=c2, text="Je regarde",
                              visibility=Visibility.PRIVATE)
        with world.runtime.db.transaction() as s:  # queued, not sent: the customer still waits
            assert s.scalars(select(WaitPrediction).where(WaitPrediction.case_id == cid)).one().actual_s is None
        clock.advance(minutes=1)
        world.run_jobs()  # sent 16 minutes after the customer wrote
        with world.runtime.db.transaction() as s:
            assert s.scalars(select(WaitPrediction).where(WaitPrediction.case_id == cid)).one().actual_s == 960
            mae, n = wait.accuracy(s, world.workspace_id)
        assert n >= 1 and mae == timedelta(minutes=4)


def test_no_publication_no_ack(world: World) -> None:
    cid = inbound(world.runtime, world.account.id, "Hello", kind="dm")
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Message).where(Message.case_id == cid)).all()[0].direction == Direction.INBOUND
        assert len(s.scalars(select(Message).where(Message.case_id == cid)).all()) == 1
