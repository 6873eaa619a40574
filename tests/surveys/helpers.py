"""Helpers for survey tests: a world whose customer wrote, an agent answered, the case resolved; a fake network."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.connectors.base import Author, InboundMessage, OutboundMessage, SendError, SendResult, Visibility
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions as inbox
from compris.inbox import outbound
from compris.inbox.queries import get_case
from compris.models import Case, CaseEvent, ChannelAccount, Message, Survey, User
from compris.surveys import actions
from tests.conftest import World
from tests.inbox.test_ingest import _deliver


class Network:
    """The sandbox connector's send, recorded (and refused when ``fail``)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[OutboundMessage] = []

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.calls.append(message)
        if self.fail:
            raise SendError("400 Bad Request: the user does not accept messages", retryable=False)
        return SendResult(platform_message_id=f"sent-{uuid.uuid4().hex[:8]}")


def fake_network(monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> Network:
    network = Network(fail=fail)
    monkeypatch.setattr(SandboxConnector, "send", network.send)
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)
    return network


def configure(world: World, channel_account_id: int | None = None, **values: Any) -> None:
    settings: dict[str, Any] = {"enabled": True, "delay_minutes": 0}
    settings.update(values)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        actions.save_settings(s, world.runtime.publisher, actor=admin, channel_account_id=channel_account_id,
                              values=settings)


def customer_writes(world: World, text: str = "Where is my bag?", *, author: str = "lea", kind: str = "dm",
                    **extra: Any) -> None:
    _deliver(world, world.payload(text, author=author, kind=kind, **extra))
    world.run_jobs()


def inbound(world: World, text: str, *, author: str = "lea", choice: str | None = None,
            visibility: str = Visibility.PRIVATE) -> Message | None:
    """A customer message straight through ``record_inbound`` (a button's payload in ``extra["choice"]``)."""
    message = InboundMessage(
        platform_message_id=f"in-{uuid.uuid4().hex[:10]}", thread_key=f"dm-{author}",
        visibility=Visibility(visibility),
        author=Author(platform_user_id=author, handle=f"@{author}", name=author.title()), text=text,
        created_at=datetime.now(UTC), extra={"choice": choice} if choice else {})
    with world.runtime.db.transaction() as s:
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        stored = inbox.record_inbound(s, world.runtime.publisher, account, message)
        if stored is not None:
            s.expunge(stored)
        return stored


def agent_replies(world: World, number: int = 1, text: str = "Found it, it arrives tonight.",
                  visibility: str = "private") -> None:
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        inbox.add_reply(s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, number),
                        text=text, visibility=visibility)
    world.run_jobs()


def set_status(world: World, status: str, number: int = 1) -> None:
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None
        inbox.set_status(s, world.runtime.publisher, actor=agent, case=get_case(s, world.workspace_id, number),
                         status=status)


def handled_case(world: World, text: str = "Where is my bag?", *, author: str = "lea") -> None:
    """The customer wrote privately and an agent answered."""
    customer_writes(world, text, author=author)
    agent_replies(world)


def surveys(world: World) -> list[Survey]:
    with world.runtime.db.transaction() as s:
        found = list(s.scalars(select(Survey).order_by(Survey.id)))
        for survey in found:
            s.expunge(survey)
        return found


def case(world: World, number: int = 1) -> Case:
    with world.runtime.db.transaction() as s:
        found = get_case(s, world.workspace_id, number)
        s.expunge(found)
        return found


def kinds(world: World, number: int = 1) -> list[str]:
    with world.runtime.db.transaction() as s:
        c = get_case(s, world.workspace_id, number)
        return [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == c.id)
                                           .order_by(CaseEvent.id))]


def events_of(session: Session, case_id: int, kind: str) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
                                .order_by(CaseEvent.id)))
