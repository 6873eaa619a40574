"""Outgoing webhooks end to end against a local receiver that verifies every signature: one delivery per event
after commit, nothing when the write rolls back, retries with the same event id and body, 410 and repeated
failures disable, filtering by event type, workspaces apart."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from compris import bus
from compris.events import (
    BusinessActionFailed,
    DomainEvent,
    EscalationAnswered,
    SlaBreached,
    StatusChanged,
    SurveyAnswered,
)
from compris.kit import clock
from compris.kit.signing import verify_request
from compris.models import CaseEvent, Job, WebhookDelivery, WebhookSubscription
from compris.subscriptions import policy
from tests.conftest import World
from tests.subscriptions.conftest import Story, make_story, subscribe
from tests.subscriptions.receiver import Receiver


class Clock:
    """Compris's clock, frozen and moved by hand (jobs due later become due)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    clock.set_now(c)
    yield c
    clock.set_now(None)


def settle(world: World, frozen: Clock) -> None:
    """Run the jobs, moving the clock to each next attempt, until no delivery is pending."""
    for _ in range(100):
        world.run_jobs()
        due = [d.next_attempt_at for d in deliveries(world) if d.state == "pending" and d.next_attempt_at]
        if not due:
            return
        frozen.at = max(frozen.at, min(due)) + timedelta(seconds=1)
    raise AssertionError("deliveries never settled")


def emit(world: World, event: DomainEvent) -> None:
    with world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, event)


def answered(world: World, story: Story) -> EscalationAnswered:
    return EscalationAnswered(workspace_id=world.workspace_id, case_id=story.case_id,
                              escalation_id=story.escalation_id, partner_id=story.partner_id, exchange_id=1,
                              outcome="done", via="portal")


def deliveries(world: World) -> list[WebhookDelivery]:
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(WebhookDelivery).where(WebhookDelivery.workspace_id == world.workspace_id)
                              .order_by(WebhookDelivery.id)))


def subscription(world: World, subscription_id: int) -> WebhookSubscription:
    with world.runtime.db.transaction() as s:
        row = s.get(WebhookSubscription, subscription_id)
        assert row is not None
        return row


def test_an_event_is_delivered_once_signed_after_commit(world: World, story: Story, receiver: Receiver) -> None:
    # given a subscription to every event
    sub_id = subscribe(world, receiver)
    # when the partner's answer is recorded (committed)
    emit(world, answered(world, story))
    # then one delivery is waiting with its job, and nothing was sent before the job ran
    [pending] = deliveries(world)
    assert pending.state == "pending" and pending.event_type == "escalation.answered" and receiver.received == []
    assert world.run_jobs() == 1
    # and the receiver got it once, signed with the subscription's secret
    [got] = receiver.received
    assert got.verified and got.status == 200
    assert got.headers["compris-event-id"] == pending.event_id
    assert got.headers["compris-event-type"] == "escalation.answered"
    assert got.headers["user-agent"] == "Compris-Webhooks/1"
    assert got.headers["content-type"] == "application/json"
    body = got.json()
    assert body["id"] == pending.event_id and body["type"] == "escalation.answered"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["workspace"] == {"id": world.workspace_id, "slug": "acme", "name": "Acme"}
    data = body["data"]
    assert data["escalation_id"] == story.escalation_id and data["outcome"] == "done" and data["via"] == "portal"
    assert data["case"]["number"] == story.number and data["case"]["id"] == story.case_id
    assert data["partner"] == {"id": story.partner_id, "name": f"Hotel Lutetia {story.case_id}", "kind": "partner"}
    assert data["escalation"]["status"] == "open"
    # and never a secret, the brief, or the customer's name or handle
    text = got.body.decode()
    assert "Secret brief" not in text and "Lea" not in text and "lea" not in text and "whsec_" not in text
    [done] = deliveries(world)
    assert done.state == "delivered" and done.attempts == 1 and done.last_status == 200 and done.delivered_at
    row = subscription(world, sub_id)
    assert row.is_active and row.consecutive_failures == 0 and row.last_success_at is not None
    # and running the jobs again sends nothing more
    world.run_jobs()
    assert len(receiver.received) == 1


def test_nothing_is_sent_when_the_write_rolls_back(world: World, story: Story, receiver: Receiver) -> None:
    subscribe(world, receiver)
    with pytest.raises(RuntimeError), world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, answered(world, story))
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1  # written in the transaction
        raise RuntimeError("the action failed after emitting")
    assert deliveries(world) == []
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "subscriptions.deliver")) == 0
    world.run_jobs()
    assert receiver.received == []


def test_a_500_is_retried_later_with_the_same_event_id_and_body(
        world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    # given a receiver that fails once
    subscribe(world, receiver)
    receiver.answer(500, 200)
    emit(world, answered(world, story))
    # when the job runs
    world.run_jobs()
    # then the delivery waits for its second attempt, a minute or so later
    [waiting] = deliveries(world)
    assert waiting.state == "pending" and waiting.attempts == 1 and waiting.last_status == 500
    assert waiting.last_error is not None and waiting.last_error.startswith("HTTP 500")
    assert waiting.next_attempt_at is not None
    assert timedelta(seconds=60) <= waiting.next_attempt_at - frozen.at <= timedelta(seconds=66)
    assert world.run_jobs() == 0  # not yet due
    # when the time comes
    frozen.advance(seconds=70)
    world.run_jobs()
    # then the same event, byte for byte, is delivered (newly signed)
    first, second = receiver.received
    assert first.verified and second.verified and (first.status, second.status) == (500, 200)
    assert first.event_id == second.event_id == waiting.event_id
    assert first.body == second.body
    assert first.headers["compris-signature"] != second.headers["compris-signature"]
    assert (first.headers["compris-delivery-attempt"], second.headers["compris-delivery-attempt"]) == ("1", "2")
    [done] = deliveries(world)
    assert done.state == "delivered" and done.attempts == 2 and done.last_error is None


def test_a_receiver_that_never_answers_well_fails_the_delivery_after_a_day_of_attempts(
        world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    sub_id = subscribe(world, receiver)
    receiver.answer(503)
    started = frozen.at
    emit(world, answered(world, story))
    settle(world, frozen)
    assert len(receiver.received) == policy.MAX_ATTEMPTS == 8
    assert len({r.event_id for r in receiver.received}) == 1 and len({r.body for r in receiver.received}) == 1
    [failed] = deliveries(world)
    assert failed.state == "failed" and failed.attempts == 8 and failed.next_attempt_at is None
    assert failed.last_attempt_at is not None
    assert timedelta(hours=20) < failed.last_attempt_at - started < timedelta(hours=30)
    row = subscription(world, sub_id)
    assert row.is_active and row.consecutive_failures == 1 and row.failed_deliveries == 1


def test_a_refused_connection_is_retried(world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    # given a subscription whose receiver is not listening yet
    sub_id = subscribe(world, receiver)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with world.runtime.db.transaction() as s:
        row = s.get(WebhookSubscription, sub_id)
        assert row is not None
        row.url = f"http://127.0.0.1:{closed_port}/hooks"
    emit(world, answered(world, story))
    world.run_jobs()
    [waiting] = deliveries(world)
    assert waiting.state == "pending" and waiting.last_status is None and waiting.last_error
    # when it listens again
    with world.runtime.db.transaction() as s:
        row = s.get(WebhookSubscription, sub_id)
        assert row is not None
        row.url = receiver.url
    frozen.advance(minutes=2)
    world.run_jobs()
    assert [r.status for r in receiver.received] == [200]
    assert deliveries(world)[0].state == "delivered"


def test_410_gone_disables_the_subscription_with_an_audit_row(
        world: World, story: Story, receiver: Receiver) -> None:
    sub_id = subscribe(world, receiver)
    receiver.answer(410)
    emit(world, answered(world, story))
    world.run_jobs()
    [gone] = deliveries(world)
    assert gone.state == "failed" and gone.last_status == 410 and gone.attempts == 1
    row = subscription(world, sub_id)
    assert not row.is_active and row.disabled_reason == "gone" and row.disabled_at is not None
    with world.runtime.db.transaction() as s:
        audit = s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed",
                                                  CaseEvent.actor_user_id.is_(None))).all()
    assert [(a.data["action"], a.data["entity_id"], a.data["changes"]) for a in audit
            if a.data["entity"] == "webhook_subscription"] == [("disabled_gone", sub_id, ["is_active"])]
    # and later events are not published to it
    emit(world, answered(world, story))
    world.run_jobs()
    assert len(deliveries(world)) == 1 and len(receiver.received) == 1


def test_five_deliveries_failed_in_a_row_disable_the_subscription(
        world: World, receiver: Receiver, frozen: Clock) -> None:
    sub_id = subscribe(world, receiver)
    receiver.answer(500)
    story = make_story(world)
    for _ in range(policy.DISABLE_AFTER + 1):
        emit(world, answered(world, story))
    settle(world, frozen)
    row = subscription(world, sub_id)
    assert not row.is_active and row.disabled_reason == "failures" and row.failed_deliveries == policy.DISABLE_AFTER
    states = sorted(d.state for d in deliveries(world))
    assert states == ["failed"] * (policy.DISABLE_AFTER + 1)
    # the sixth delivery stopped being tried when the subscription was disabled
    sixth = max(deliveries(world), key=lambda d: d.attempts if d.last_error != "the subscription is disabled" else -1)
    assert sixth.attempts == policy.MAX_ATTEMPTS
    assert any(d.last_error == "the subscription is disabled" for d in deliveries(world))
    assert len(receiver.received) < (policy.DISABLE_AFTER + 1) * policy.MAX_ATTEMPTS


def test_a_success_resets_the_failure_count(world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    sub_id = subscribe(world, receiver)
    receiver.answer(500)
    emit(world, answered(world, story))
    settle(world, frozen)
    assert subscription(world, sub_id).consecutive_failures == 1
    receiver.answer(204)
    emit(world, answered(world, story))
    world.run_jobs()
    row = subscription(world, sub_id)
    assert row.consecutive_failures == 0 and row.failed_deliveries == 1 and row.is_active


def _events(world: World, story: Story) -> dict[str, DomainEvent]:
    ws, case = world.workspace_id, story.case_id
    return {
        "escalation.answered": answered(world, story),
        "survey.answered": SurveyAnswered(workspace_id=ws, case_id=case, survey_id=story.survey_id, rating=5,
                                          score=100, via="button", agent_id=world.agent.id),
        "business_action.failed": BusinessActionFailed(workspace_id=ws, case_id=case, run_id=7, action_id=3,
                                                       action_key="rebook", error="x" * 2000),
        "sla.breached": SlaBreached(workspace_id=ws, case_id=case, metric="first_response", cycle=1,
                                    breached_at="2026-12-06T03:00:00+00:00"),
    }


def test_subscriptions_get_only_the_event_types_they_asked_for(
        world: World, story: Story, receiver: Receiver) -> None:
    surveys = subscribe(world, receiver, ["survey.answered"])
    both = subscribe(world, receiver, ["escalation.answered", "sla.breached"])
    everything = subscribe(world, receiver, ["*"])
    for event in _events(world, story).values():
        emit(world, event)
    # an event nobody publishes
    emit(world, StatusChanged(workspace_id=world.workspace_id, case_id=story.case_id, from_status="open",
                              to_status="resolved"))
    got = {(d.subscription_id, d.event_type) for d in deliveries(world)}
    assert got == {(surveys, "survey.answered"), (both, "escalation.answered"), (both, "sla.breached"),
                   *((everything, name) for name in _events(world, story))}
    # one event id per event, shared by its subscriptions
    ids = {d.event_type: set() for d in deliveries(world)}  # type: dict[str, set[str]]
    for d in deliveries(world):
        ids[d.event_type].add(d.event_id)
    assert all(len(v) == 1 for v in ids.values())
    world.run_jobs()
    assert len(receiver.received) == len(got)
    assert all(r.verified is False or r.status == 200 for r in receiver.received)


def test_payload_facts_of_each_family(world: World, story: Story, receiver: Receiver) -> None:
    subscribe(world, receiver)
    events = _events(world, story)
    for event in events.values():
        emit(world, event)
    by_type = {d.event_type: d.payload["data"] for d in deliveries(world)}
    survey = by_type["survey.answered"]
    assert survey["rating"] == 5 and survey["score"] == 100 and survey["via"] == "button"
    assert survey["survey"]["network"] == "sandbox" and survey["survey"]["has_comment"] is True
    assert "Très bien" not in str(survey)  # the comment's text is not published
    action = by_type["business_action.failed"]
    assert action["action"] == {"id": 3, "key": "rebook"} and len(action["error"]) == 500
    sla = by_type["sla.breached"]
    assert sla["metric"] == "first_response" and sla["case"]["number"] == story.number
    assert all("workspace_id" not in data for data in by_type.values())


def test_another_workspaces_subscription_gets_nothing(
        world: World, world_factory: Callable[[str], World], story: Story, receiver: Receiver) -> None:
    other = world_factory("globex")
    subscribe(other, receiver)
    emit(world, answered(world, story))
    assert deliveries(world) == [] and deliveries(other) == []
    world.run_jobs()
    assert receiver.received == []


def test_a_disabled_subscriptions_pending_delivery_is_not_sent(
        world: World, story: Story, receiver: Receiver) -> None:
    sub_id = subscribe(world, receiver)
    emit(world, answered(world, story))
    with world.runtime.db.transaction() as s:
        row = s.get(WebhookSubscription, sub_id)
        assert row is not None
        row.is_active = False
    world.run_jobs()
    assert receiver.received == []
    [d] = deliveries(world)
    assert d.state == "failed" and d.last_error == "the subscription is disabled"


def test_a_rotated_secret_signs_the_next_attempts(
        world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    from compris.models import User
    from compris.subscriptions import actions
    from tests.conftest import SECRET

    sub_id = subscribe(world, receiver)
    old = receiver.secret
    receiver.answer(500, 200)
    emit(world, answered(world, story))
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        admin, row = s.get(User, world.admin.id), s.get(WebhookSubscription, sub_id)
        assert admin is not None and row is not None
        receiver.secret = actions.rotate_secret(s, None, actor=admin, secret_key=SECRET, subscription=row)
    frozen.advance(minutes=2)
    world.run_jobs()
    first, second = receiver.received
    assert second.verified and second.status == 200
    assert verify_request(old, first.headers["compris-signature"], first.body, frozen.at - timedelta(minutes=2))
    assert not verify_request(old, second.headers["compris-signature"], second.body, frozen.at)



def test_settled_deliveries_are_forgotten_after_thirty_days(
        world: World, story: Story, receiver: Receiver, frozen: Clock) -> None:
    from compris.subscriptions.tasks import PURGE_JOB
    from compris.worker.queue import enqueue

    subscribe(world, receiver)
    receiver.answer(200, 500)
    emit(world, answered(world, story))  # delivered
    world.run_jobs()
    emit(world, answered(world, story))  # pending (failed once, waiting for its retry)
    world.run_jobs()
    assert sorted(d.state for d in deliveries(world)) == ["delivered", "pending"]
    frozen.advance(days=policy.RETENTION_DAYS, minutes=1)
    with world.runtime.db.transaction() as s:
        enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind=PURGE_JOB, payload={})
    receiver.answer(500)
    for _ in range(policy.MAX_ATTEMPTS + 2):  # the purge, and the pending delivery's retries (each within a day,
        world.run_jobs()                      # jitter included): bounded, whatever the jitter drew
        frozen.advance(days=1)
    states = [d.state for d in deliveries(world)]
    assert states == ["failed"]  # the delivered one is gone; the other was kept while pending
