"""What answers the customer, for the SLA (issue 12): a reply counts once it is *sent*, at its send time; a reply
that fails (for good, or later by a delivery status) re-opens the clock and a passed deadline is recorded as a
breach at that deadline; automatic messages never count; echoes of replies sent outside Compris do. Every write
that can move a clock reaches the SLA through its domain event (a failed send, a delivery status, a merge, a
snooze ending, a retry, a transfer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from compris import bus
from compris.connectors.base import Author, DeliveryStatus, InboundMessage, Visibility
from compris.connectors.sandbox import SandboxConnector
from compris.events import SlaBreached
from compris.inbox import actions
from compris.models import Case, CaseEvent, ChannelAccount, DeliveryState, Message, Outbox, SlaPolicy, Team, User
from compris.routing import assignment as routing
from compris.sla import clocks as sla
from tests.conftest import World
from tests.routing.helpers import agent, case, frozen, inbound, team
from tests.sla.conftest import Network
from tests.sla.helpers import breaches, count, message, policy, reply, run_pass, set_status

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_the_reproduction_a_reply_that_fails_for_good_leaves_the_clock_running_and_the_breach_is_recorded(
    world: World, network: Network
) -> None:
    # given a case under a 10-minute first-response policy
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Where is my refund?", kind="dm")
        # when the agent's reply is queued...
        clock.advance(minutes=2)
        mid = reply(world, cid)
        c = case(world.runtime, cid)
        assert c.sla_first_response_due == T0 + 10 * MINUTE and c.sla_status == "ok"  # queued is no answer
        # ...and the send job fails for good
        network.refuse = True
        clock.advance(minutes=1)
        world.run_jobs()
        assert message(world, mid).delivery_state == DeliveryState.FAILED
        c = case(world.runtime, cid)
        assert c.first_response_at is None
        assert c.sla_first_response_due == T0 + 10 * MINUTE
        assert c.sla_check_at is not None and c.sla_check_at <= T0 + 10 * MINUTE + timedelta(seconds=1)
        # then 30 minutes after the customer wrote, the SLA pass looks at the case and records the breach
        clock.at = T0 + 30 * MINUTE
        seen: list[SlaBreached] = []
        with bus.subscribed(SlaBreached, lambda _s, _p, event: seen.append(event)):
            result = run_pass(world)
    assert (result.checked, result.breaches) == (1, 1)
    assert breaches(world, cid) == [("first_response", 0, T0 + 10 * MINUTE)]  # on time: at the due time
    assert case(world.runtime, cid).sla_status == "breached"
    assert count(world, CaseEvent, CaseEvent.case_id == cid, CaseEvent.kind == "sla_breached") == 1
    assert [(e.case_id, e.metric, e.cycle, e.breached_at) for e in seen] == [
        (cid, "first_response", 0, (T0 + 10 * MINUTE).isoformat())]


def test_the_first_response_counts_when_the_reply_is_sent_not_when_it_is_queued(
    world: World, network: Network
) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        clock.advance(minutes=5)
        mid = reply(world, cid)  # queued in time...
        clock.advance(minutes=7)
        world.run_jobs()  # ...sent late, 12 minutes after the customer wrote
    sent = message(world, mid)
    assert sent.delivery_state == DeliveryState.SENT and sent.sent_at == T0 + 12 * MINUTE
    c = case(world.runtime, cid)
    assert c.first_response_at == T0 + 12 * MINUTE
    assert c.sla_status == "breached" and c.sla_first_response_due is None  # answered, but late
    # recorded when the reply went out (no pass needed), at the due time
    assert breaches(world, cid) == [("first_response", 0, T0 + 10 * MINUTE)]


def test_a_reply_sent_in_time_meets_the_first_response(world: World, network: Network) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        clock.advance(minutes=1)
        reply(world, cid)
        assert case(world.runtime, cid).sla_first_response_due == T0 + 10 * MINUTE  # still owed while queued
        clock.advance(minutes=2)
        world.run_jobs()
        clock.advance(minutes=30)
        assert run_pass(world).checked == 0  # nothing left to look at
    c = case(world.runtime, cid)
    assert c.sla_status == "met" and c.sla_first_response_due is None and c.sla_check_at is None
    assert breaches(world, cid) == []


def test_a_delivery_failure_reported_after_the_send_reopens_the_clock(world: World, network: Network) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        clock.advance(minutes=2)
        mid = reply(world, cid)
        world.run_jobs()
        assert case(world.runtime, cid).sla_status == "met"
        platform_id = message(world, mid).platform_message_id
        assert platform_id is not None

        def report(status: str) -> None:
            with world.runtime.db.transaction() as s:
                account = s.get(ChannelAccount, world.account.id)
                assert account is not None
                actions.record_delivery_status(s, world.runtime.publisher, account, DeliveryStatus(
                    platform_message_id=platform_id, status=status, at=clock.at, reason="blocked by the user"))

        clock.advance(minutes=1)
        report("delivered")  # still an answer
        assert case(world.runtime, cid).sla_status == "met"
        # when the network reports, 20 minutes after the customer wrote, that the reply failed after all
        clock.at = T0 + 20 * MINUTE
        report("failed")
    # then the first response is owed again, and its passed deadline is a breach recorded at once, on time
    c = case(world.runtime, cid)
    assert c.sla_status == "breached" and c.sla_first_response_due == T0 + 10 * MINUTE
    assert breaches(world, cid) == [("first_response", 0, T0 + 10 * MINUTE)]


def test_an_uncertain_reply_is_no_answer_until_someone_checks(
    world: World, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a network without de-duplication, and a send left "sending" by a worker that died
    monkeypatch.setattr(SandboxConnector, "supports_idempotency", False)
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        clock.advance(minutes=2)
        mid = reply(world, cid)
        with world.runtime.db.transaction() as s:
            s.execute(update(Outbox).where(Outbox.message_id == mid).values(state=DeliveryState.SENDING))
        clock.advance(minutes=1)
        world.run_jobs()
        assert message(world, mid).delivery_state == DeliveryState.UNCERTAIN
        assert case(world.runtime, cid).sla_first_response_due == T0 + 10 * MINUTE  # the clock keeps running
        clock.at = T0 + 30 * MINUTE
        assert run_pass(world).breaches == 1
    assert network.calls == []  # never sent twice
    assert breaches(world, cid) == [("first_response", 0, T0 + 10 * MINUTE)]


def test_retrying_a_failed_reply_answers_when_the_retry_is_sent(world: World, network: Network) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        clock.advance(minutes=2)
        mid = reply(world, cid)
        network.refuse = True
        clock.advance(minutes=1)
        world.run_jobs()
        assert message(world, mid).delivery_state == DeliveryState.FAILED
        # the agent retries 6 minutes after the customer wrote; the network accepts it a minute later
        network.refuse = False
        clock.at = T0 + 6 * MINUTE
        with world.runtime.db.transaction() as s:
            actor, m = s.get(User, world.agent.id), s.get(Message, mid)
            assert actor is not None and m is not None
            actions.retry_send(s, world.runtime.publisher, actor=actor, message=m)
        c = case(world.runtime, cid)
        assert c.sla_status == "ok" and c.sla_first_response_due == T0 + 10 * MINUTE  # requested, not sent
        clock.advance(minutes=1)
        world.run_jobs()
        clock.at = T0 + 30 * MINUTE
        run_pass(world)
    c = case(world.runtime, cid)
    assert c.first_response_at == T0 + 7 * MINUTE
    assert c.sla_status == "met" and breaches(world, cid) == []


def test_merging_a_case_into_a_closed_one_restarts_the_target_clocks(world: World, network: Network) -> None:
    policy(world, first_response_s=600, next_response_s=600)
    with frozen(T0) as clock:
        target = inbound(world.runtime, world.account.id, "My bag is lost", author="ann", kind="dm")
        clock.advance(minutes=2)
        reply(world, target)
        world.run_jobs()
        clock.advance(minutes=1)
        set_status(world, target, "closed")
        assert case(world.runtime, target).sla_check_at is None  # nothing left to watch
        clock.at = T0 + 10 * MINUTE
        source = inbound(world.runtime, world.account.id, "Any news about my bag?", author="ann", kind="dm")
        assert source != target  # a closed case is never reopened by a message: a new one
        clock.at = T0 + 15 * MINUTE
        with world.runtime.db.transaction() as s:
            actor, src, dst = s.get(User, world.agent.id), s.get(Case, source), s.get(Case, target)
            assert actor is not None and src is not None and dst is not None
            actions.merge_cases(s, world.runtime.publisher, actor=actor, source=src, target=dst)
        # the target, reopened, owes an answer to the message it received: its clocks are stored again
        merged = case(world.runtime, target)
        assert merged.status == "open"
        assert merged.sla_next_response_due == T0 + 20 * MINUTE and merged.sla_status == "ok"
        assert merged.sla_check_at is not None
        closed = case(world.runtime, source)
        assert closed.status == "closed" and closed.sla_check_at is None
        clock.at = T0 + 25 * MINUTE
        assert run_pass(world).breaches == 1
    assert breaches(world, target) == [("next_response", 0, T0 + 20 * MINUTE)]
    assert breaches(world, source) == []


def test_a_snooze_ending_reaches_routing_and_the_sla(world: World) -> None:
    policy(world, first_response_s=600)
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        agent(s, world.workspace_id, "Away", online=False, teams=(care,))
        care_id = care.id
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", kind="dm")
        assert case(world.runtime, cid).assignee_id is None  # nobody online: queued
        clock.advance(minutes=1)
        set_status(world, cid, "snoozed", snooze_until=T0 + 30 * MINUTE)
        assert case(world.runtime, cid).sla_first_response_due == T0 + 10 * MINUTE  # a snooze pauses nothing
        clock.at = T0 + 30 * MINUTE
        with world.runtime.db.transaction() as s:
            care = s.get(Team, care_id)
            assert care is not None
            bob_id = agent(s, world.workspace_id, "Bob", teams=(care,)).id  # online now (and no drain job)
        with world.runtime.db.transaction() as s:  # the scheduled wake-up, before any SLA pass
            assert actions.wake_snoozed(s, world.runtime.publisher) == 1
    c = case(world.runtime, cid)
    assert c.status == "open" and c.assignee_id == bob_id  # routing offered the case again
    assert c.sla_status == "breached"  # the SLA recomputed it at once
    assert breaches(world, cid) == [("first_response", 0, T0 + 10 * MINUTE)]


def test_an_echo_of_a_reply_sent_outside_compris_answers(world: World) -> None:
    policy(world, first_response_s=600)
    with frozen(T0) as clock:
        cid = inbound(world.runtime, world.account.id, "Hello?", author="zoe", kind="dm")
        clock.advance(minutes=4)
        with world.runtime.db.transaction() as s:
            account = s.get(ChannelAccount, world.account.id)
            assert account is not None
            echo = actions.record_inbound(s, world.runtime.publisher, account, InboundMessage(
                platform_message_id="echo-1", thread_key="dm-zoe", visibility=Visibility.PRIVATE,
                author=Author(platform_user_id="brand", handle="@brand"), text="Answered from the phone app",
                created_at=clock.at, is_own=True))
            assert echo is not None and echo.case_id == cid
    c = case(world.runtime, cid)
    assert c.sla_status == "met" and c.sla_first_response_due is None


def test_a_transfer_recomputes_the_breach_prediction_for_the_new_team(world: World) -> None:
    with world.runtime.db.transaction() as s:
        care = team(s, world.workspace_id, "Care", default=True)
        billing = team(s, world.workspace_id, "Billing")
        s.add(SlaPolicy(workspace_id=world.workspace_id, name="Default", first_response_s=3600, warn_before_s=300))
        billing_id = billing.id
        assert care.is_default
    with frozen(T0 - timedelta(hours=2)) as clock:
        answered = [inbound(world.runtime, world.account.id, "Hi", author=f"old-{i}", kind="dm") for i in range(6)]
        with world.runtime.db.transaction() as s:  # Care answers 2 cases an hour; Billing has no history
            s.execute(update(Case).where(Case.id.in_(answered)).values(
                first_response_at=T0 - timedelta(hours=1), status="resolved", sla_first_response_due=None,
                sla_check_at=None))
        clock.at = T0
        ids = []
        for i in range(3):
            ids.append(inbound(world.runtime, world.account.id, "Where is my invoice?", author=f"c{i}", kind="dm"))
            clock.advance(minutes=1)
        assert case(world.runtime, ids[2]).sla_status == "at_risk"  # two cases ahead in Care's queue

        with world.runtime.db.transaction() as s:
            actor, c, to = s.get(User, world.agent.id), s.get(Case, ids[2]), s.get(Team, billing_id)
            assert actor is not None and c is not None and to is not None
            routing.transfer(s, world.runtime.publisher, actor=actor, case=c, team=to)
        # Billing's throughput is unknown: no prediction, the case is back to ok at once (no pass needed)
        assert case(world.runtime, ids[2]).sla_status == "ok"
    with world.runtime.db.transaction() as s:
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == ids[2])))
    assert "transferred" in kinds


@pytest.mark.parametrize(("direction", "visibility", "state", "author", "extra", "counts"), [
    ("outbound", "private", "sent", 1, {}, True),
    ("outbound", "public", "delivered", 1, {}, True),
    ("outbound", "public", "read", 1, {}, True),
    ("outbound", "private", "queued", 1, {}, False),
    ("outbound", "private", "sending", 1, {}, False),
    ("outbound", "private", "retrying", 1, {}, False),
    ("outbound", "private", "failed", 1, {}, False),
    ("outbound", "private", "uncertain", 1, {}, False),
    ("outbound", "note", "sent", 1, {}, False),
    ("outbound", "private", "sent", None, {"auto_ack": True}, False),  # the expected-wait acknowledgement
    ("outbound", "private", "sent", None, {"origin": "survey"}, False),  # any automatic origin
    ("outbound", "private", "sent", None, {}, True),  # an echo of a reply sent outside Compris
    ("inbound", "private", None, None, {}, False),
])
def test_what_answers_the_customer(direction: str, visibility: str, state: str | None, author: int | None,
                                   extra: dict[str, Any], counts: bool) -> None:
    queued, sent = T0, T0 + 3 * MINUTE
    at = sla.answered_at(direction, visibility, state, author, extra, queued, sent)
    assert at == (sent if counts else None)


def test_an_echo_stamped_earlier_by_the_network_answers_when_it_was_seen() -> None:
    seen, stamped = T0 + 3 * MINUTE, T0 + 2 * MINUTE
    assert sla.answered_at("outbound", "public", "sent", None, None, seen, stamped) == seen
