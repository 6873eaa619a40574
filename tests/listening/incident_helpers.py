"""Helpers of the incident tests: a supervisor, customer messages through the real pipeline (a signed webhook, the
inbound job), actions run as a user in their own transaction (as a request would), reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.accounts import actions as accounts
from compris.connectors.base import OutboundMessage, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.models import Case, Incident, Message, User, Workspace
from tests.conftest import World

T = TypeVar("T")


def supervisor(world: World, name: str = "Sophie") -> User:
    with world.runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(s, workspace=workspace, email=f"{name.lower()}@{workspace.slug}.test", name=name,
                                    password="correct horse battery", role="supervisor")
        s.flush()
        s.expunge(user)
        return user


def as_user(world: World, user: User, fn: Callable[[Session, User], T]) -> T:
    with world.runtime.db.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        return fn(s, actor)


def say(client: TestClient, world: World, text: str, *, author: str = "cust-1", kind: str = "post",
        **extra: Any) -> int:
    """A customer's message on the world's sandbox account, through the webhook and the inbound job; its case id."""
    payload = world.payload(text, author=author, kind=kind, **extra)
    raw, headers = world.body(payload)
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        case_id = s.scalar(select(Message.case_id).where(Message.channel_account_id == world.account.id,
                                                         Message.platform_message_id == payload["data"]["id"]))
        assert case_id is not None
        return int(case_id)


def case(world: World, case_id: int) -> Case:
    with world.runtime.db.transaction() as s:
        row = s.get(Case, case_id)
        assert row is not None
        s.expunge(row)
        return row


def incident(world: World, number: int) -> Incident:
    with world.runtime.db.transaction() as s:
        row = s.scalar(select(Incident).where(Incident.workspace_id == world.workspace_id, Incident.number == number))
        assert row is not None
        s.expunge(row)
        return row


class Network:
    """Stands in for the sandbox network's send: accepts each message and remembers it."""

    def __init__(self) -> None:
        self.calls: list[OutboundMessage] = []

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.calls.append(message)
        return SendResult(platform_message_id=f"sent-{len(self.calls)}")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    net = Network()
    monkeypatch.setattr(SandboxConnector, "send", net.send)
    return net
