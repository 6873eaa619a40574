"""The send job's policy after an ambiguous send: exactly once, or visibly uncertain — never a blind retry."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors.base import ConnectorError, OutboundMessage, SendError, SendResult, Visibility
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions, outbound
from compris.inbox.actions.outbox import AMBIGUOUS_SEND
from compris.kit.clock import now
from compris.models import CaseEvent, DeliveryState, Job, Message, Outbox, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.inbox.test_outbound import _case_with_message, _reply


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)


class Platform:
    """A network without idempotency keys. ``ambiguous`` first sends answer like a 500 after the request was
    written (``posts``: whether the platform kept the message anyway); ``lookup``: what asking it answers."""

    def __init__(self, *, ambiguous: int = 1, posts: bool = True, lookup: str = "look",
                 error: SendError | None = None) -> None:
        self.ambiguous = ambiguous
        self.posts = posts
        self.lookup = lookup
        self.error = error or SendError("server error 500", retryable=True, ambiguous=True)
        self.posted: list[OutboundMessage] = []
        self.sends = 0
        self.finds: list[OutboundMessage] = []

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.sends += 1
        if self.sends <= self.ambiguous:
            if self.posts:
                self.posted.append(message)
            raise self.error
        self.posted.append(message)
        return SendResult(platform_message_id=f"post-{len(self.posted)}")

    def find_sent(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        self.finds.append(message)
        if self.lookup == "error":
            raise ConnectorError("the platform did not answer the lookup")
        for index, posted in enumerate(self.posted):
            if posted.text == message.text:
                return SendResult(platform_message_id=f"post-{index + 1}")
        return None


def _install(monkeypatch: pytest.MonkeyPatch, platform: Platform, *, idempotent: bool = False,
             findable: bool = True) -> None:
    monkeypatch.setattr(SandboxConnector, "send", platform.send)
    monkeypatch.setattr(SandboxConnector, "supports_idempotency", idempotent)
    monkeypatch.setattr(SandboxConnector, "can_find_sent", findable)
    monkeypatch.setattr(SandboxConnector, "find_sent", platform.find_sent)


def _drain(world: World) -> None:
    for _ in range(20):
        if not world.run_jobs():
            return


def _first_attempt_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the send job once (its retry held back an hour), then make the retry due."""
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 3600.0)
    world.run_jobs()
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)
    with world.runtime.db.transaction() as s:
        for job in s.scalars(select(Job).where(Job.kind == "inbox.send_reply")):
            job.run_at = now()


def _state(world: World, message_id: int) -> tuple[Message, list[str]]:
    with world.runtime.db.transaction() as s:
        message = s.get(Message, message_id)
        assert message is not None
        s.expunge(message)
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))]
    return message, kinds


def test_an_ambiguous_send_on_an_idempotent_network_is_retried_with_the_same_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = Platform(ambiguous=2)
    _install(monkeypatch, platform, idempotent=True, findable=False)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == 3 and platform.finds == []
    assert len({m.idempotency_key for m in platform.posted}) == 1  # the platform keeps one per key
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT
    assert kinds.count("reply_sent") == 1


def test_an_ambiguous_send_found_on_the_platform_is_recorded_sent_not_sent_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a platform that kept the reply but answered 500
    platform = Platform(ambiguous=1, posts=True)
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    # then the next attempt asked first, found it, and never posted again
    assert platform.sends == 1 and len(platform.posted) == 1
    assert len(platform.finds) == 1
    assert platform.finds[0].extra.get("queued_at")  # how far back to look
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT
    assert message.platform_message_id == "post-1"
    assert AMBIGUOUS_SEND not in (message.platform_extra or {})
    assert kinds.count("reply_sent") == 1 and kinds.count("reply_retrying") == 1
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Outbox)).one().state == DeliveryState.SENT


def test_an_ambiguous_send_not_found_is_sent_again_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform(ambiguous=1, posts=False)
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == 2 and len(platform.posted) == 1 and len(platform.finds) == 1
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT and message.platform_message_id == "post-1"
    assert kinds.count("reply_sent") == 1


def test_when_the_platform_cannot_tell_the_reply_is_uncertain(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform(ambiguous=1, lookup="error")
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == 1 and len(platform.finds) == 1
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.UNCERTAIN
    assert message.delivery_error is not None
    assert message.delivery_error.startswith(outbound.LOOKUP_FAILED)
    assert "did not answer the lookup" in message.delivery_error
    assert kinds.count("reply_uncertain") == 1 and "reply_sent" not in kinds


def test_an_ambiguous_send_on_a_network_that_cannot_be_asked_is_uncertain_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = Platform(ambiguous=1)
    _install(monkeypatch, platform, findable=False)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == 1 and platform.finds == []
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.UNCERTAIN
    assert message.delivery_error is not None and message.delivery_error.startswith(outbound.NO_LOOKUP)
    assert "server error 500" in message.delivery_error
    assert kinds.count("reply_uncertain") == 1 and "reply_retrying" not in kinds


def test_a_clear_retryable_error_keeps_the_backoff_retry_without_a_lookup(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = Platform(ambiguous=1, posts=False, error=SendError("rate limit reached (429)", retryable=True))
    _install(monkeypatch, platform, findable=False)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == 2 and platform.finds == []
    message, _ = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT


@pytest.mark.parametrize("kept", [True, False])
def test_a_crash_mid_send_is_checked_on_a_network_that_can_be_asked(
    world: World, monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    # given a row left "sending" by a dead worker, the reply kept by the platform or not
    platform = Platform(ambiguous=0)
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    with world.runtime.db.transaction() as s:
        s.scalars(select(Outbox)).one().state = DeliveryState.SENDING
        message = s.get(Message, message_id)
        assert message is not None
        if kept:
            platform.posted.append(OutboundMessage(idempotency_key="k", text=message.text,
                                                   visibility=Visibility(message.visibility), thread_key="",
                                                   reply_to_platform_id=None, recipient=None))
    _drain(world)
    # then the job asked first: found → recorded, never posted again; not found → posted once
    assert len(platform.finds) == 1
    assert len(platform.posted) == 1
    assert platform.sends == (0 if kept else 1)
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT and kinds.count("reply_sent") == 1


def test_a_crash_during_the_lookup_is_checked_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given an ambiguous send, then the worker died while asking the platform (row "sending", marker kept)
    platform = Platform(ambiguous=1, posts=True)
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    _first_attempt_only(world, monkeypatch)
    with world.runtime.db.transaction() as s:
        outbox = s.scalars(select(Outbox)).one()
        message = s.get(Message, message_id)
        assert message is not None and AMBIGUOUS_SEND in message.platform_extra
        outbox.state = message.delivery_state = DeliveryState.SENDING
    _drain(world)
    assert platform.sends == 1 and len(platform.posted) == 1
    message, kinds = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT and kinds.count("reply_sent") == 1


def test_the_marker_alone_survives_a_crash_between_attempts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given an ambiguous send recorded (retrying), then the network loses the ability to be asked: uncertain, no send
    platform = Platform(ambiguous=1)
    _install(monkeypatch, platform)
    message_id = _reply(world, _case_with_message(world))
    _first_attempt_only(world, monkeypatch)
    monkeypatch.setattr(SandboxConnector, "can_find_sent", False)
    _drain(world)
    assert platform.sends == 1
    message, _ = _state(world, message_id)
    assert message.delivery_state == DeliveryState.UNCERTAIN


def test_a_persons_retry_of_an_uncertain_reply_sends_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform(ambiguous=1, posts=False)
    _install(monkeypatch, platform, findable=False)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        message = s.get(Message, message_id)
        assert agent is not None and message is not None
        assert message.delivery_state == DeliveryState.UNCERTAIN
        actions.retry_send(s, world.runtime.publisher, actor=agent, message=message)
        assert AMBIGUOUS_SEND not in message.platform_extra
    _drain(world)
    assert platform.sends == 2
    message, _ = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT


def test_the_last_attempt_ambiguous_is_uncertain_not_failed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform(ambiguous=100)
    _install(monkeypatch, platform, idempotent=True)
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert platform.sends == outbound.MAX_SEND_ATTEMPTS
    message, _ = _state(world, message_id)
    assert message.delivery_state == DeliveryState.UNCERTAIN


def test_the_reasons_are_translated() -> None:
    catalogue = (Path(outbound.__file__).parents[1] / "locale/fr/LC_MESSAGES/messages.po").read_text()
    for reason in (outbound.INTERRUPTED, outbound.NO_LOOKUP, outbound.LOOKUP_FAILED, outbound.WILL_CHECK):
        assert f'msgid "{reason}"' in catalogue


def test_the_case_page_shows_the_reason_in_the_agents_language_and_escapes_the_detail(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Settings, runtime: Runtime
) -> None:
    from tests.web.test_pages import Agent, make_client

    platform = Platform(ambiguous=1, error=SendError("server error 500: <b>boom</b>", retryable=True, ambiguous=True))
    _install(monkeypatch, platform, findable=False)
    number = _case_with_message(world)
    _reply(world, number)
    _drain(world)
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        agent.language = "fr"
    page = html.unescape(Agent(make_client(settings, runtime), world.agent.email).get(f"/cases/{number}").text)
    assert "Le réseau n'a pas donné de réponse claire" in page
    raw = Agent(make_client(settings, runtime), world.agent.email).get(f"/cases/{number}").text
    assert "&lt;b&gt;boom&lt;/b&gt;" in raw and "<b>boom</b>" not in raw


def test_an_expired_token_during_the_lookup_is_renewed_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform(ambiguous=1, posts=True)
    _install(monkeypatch, platform)
    tokens: list[str] = []

    def find_sent(account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        tokens.append(account.secrets.get("api_token", ""))
        if account.secrets.get("api_token") != "renewed":
            raise SendError("401: token expired", retryable=False, unauthorized=True)
        return platform.find_sent(account, message, client)

    monkeypatch.setattr(SandboxConnector, "find_sent", staticmethod(find_sent))
    monkeypatch.setattr(SandboxConnector, "refresh_credentials", lambda self, account, client: {"api_token": "renewed"})
    message_id = _reply(world, _case_with_message(world))
    _drain(world)
    assert tokens[-1] == "renewed" and len(tokens) == 2
    assert platform.sends == 1
    message, _ = _state(world, message_id)
    assert message.delivery_state == DeliveryState.SENT
