from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from compris.connectors.base import OutboundMessage, SendError, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions, outbound
from compris.inbox.ingest import receive
from compris.inbox.queries import get_case
from compris.models import Case, CaseEvent, DeliveryState, Message, Outbox, User
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)


class FlakyNetwork:
    """Fails ``failures`` times (retryable), then accepts; remembers every call."""

    def __init__(self, failures: int, *, retryable: bool = True) -> None:
        self.failures = failures
        self.retryable = retryable
        self.calls: list[OutboundMessage] = []
        self.delivered: dict[str, str] = {}

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.calls.append(message)
        if len(self.calls) <= self.failures:
            raise SendError("503 Service Unavailable", retryable=self.retryable)
        platform_id = self.delivered.setdefault(message.idempotency_key, f"sent-{len(self.delivered) + 1}")
        return SendResult(platform_message_id=platform_id)


def _case_with_message(world: World, text: str = "Bonjour, ma valise est perdue") -> int:
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, world.payload(text, author="lea")))
    world.run_jobs()
    with rt.db.transaction() as s:
        return s.scalars(select(Case.number)).one()


def _reply(
    world: World,
    number: int,
    text: str = "Nous sommes désolés, nous regardons.",
    key: str | None = None,
    visibility: str = "public",
) -> int:
    rt = world.runtime
    with rt.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        case = get_case(s, world.workspace_id, number)
        message = actions.add_reply(
            s, rt.publisher, actor=agent, case=case, text=text, visibility=visibility, idempotency_key=key
        )
        return message.id


def test_a_reply_that_fails_twice_is_sent_exactly_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a network that answers 503 twice before accepting
    network = FlakyNetwork(failures=2)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    number = _case_with_message(world)
    # when an agent replies and the workers run until nothing is left
    message_id = _reply(world, number)
    world.run_jobs()
    world.run_jobs()
    # then the network received three calls with one idempotency key, and one message was sent
    assert len(network.calls) == 3
    assert len({c.idempotency_key for c in network.calls}) == 1
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert message.delivery_state == DeliveryState.SENT
        assert message.platform_message_id == "sent-1"
        outbox = s.scalars(select(Outbox)).one()
        assert outbox.attempts == 3
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))]
        assert kinds.count("reply_retrying") == 2
        assert kinds.count("reply_sent") == 1
        case = s.scalars(select(Case)).one()
        assert case.first_response_at is not None


def test_a_refused_reply_fails_with_the_reason_and_can_be_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = FlakyNetwork(failures=1, retryable=False)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    number = _case_with_message(world)
    message_id = _reply(world, number)
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert message.delivery_state == DeliveryState.FAILED
        assert message.delivery_error == "503 Service Unavailable"
    # the agent retries: sent once
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        message = s.get(Message, message_id)
        assert agent is not None and message is not None
        actions.retry_send(s, world.runtime.publisher, actor=agent, message=message)
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.delivery_state == DeliveryState.SENT
    assert len(network.calls) == 2


def test_a_double_submit_queues_one_reply(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    number = _case_with_message(world)
    first = _reply(world, number, key="form-123")
    second = _reply(world, number, key="form-123")
    assert first == second
    world.run_jobs()
    assert len(network.calls) == 1


def test_a_send_interrupted_by_a_crash_is_not_sent_twice_without_idempotency(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a network without idempotency keys and a row left "sending" by a dead worker
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    monkeypatch.setattr(SandboxConnector, "supports_idempotency", False)
    number = _case_with_message(world)
    message_id = _reply(world, number)
    with world.runtime.db.transaction() as s:
        s.scalars(select(Outbox)).one().state = DeliveryState.SENDING
    # when the job runs again
    world.run_jobs()
    # then nothing is sent and the agent is told to check
    assert network.calls == []
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.delivery_state == DeliveryState.UNCERTAIN
        assert message.delivery_error and "check" in message.delivery_error.lower()


def test_replies_respect_the_length_limit(world: World) -> None:
    from compris.kit.errors import Invalid

    number = _case_with_message(world)
    with pytest.raises(Invalid, match="at most 1000 characters"):
        _reply(world, number, text="x" * 1001)


def test_a_private_reply_to_a_public_post_opens_the_private_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = FlakyNetwork(failures=0)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    number = _case_with_message(world)
    _reply(world, number, text="Nous vous écrivons en privé.", visibility="private")
    world.run_jobs()
    assert network.calls[0].thread_key == "dm-lea"
    assert network.calls[0].recipient is not None and network.calls[0].recipient.platform_user_id == "lea"
