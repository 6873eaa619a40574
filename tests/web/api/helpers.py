"""Helpers for the JSON API tests: tokens, customer messages fed through the real pipeline, a fake network."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.connectors.base import OutboundMessage, SendError, SendResult
from compris.models import Case, User
from tests.conftest import World


def token(world: World, user: User, name: str = "test", scopes: str = "read write admin") -> str:
    """A personal token of ``user`` (by default with every scope: what the user may do is then their role's)."""
    with world.runtime.db.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        created, raw = accounts.create_token(session, row, name)
        created.scopes = scopes
    return raw


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def deliver(client: TestClient, world: World, text: str = "Hello", **kwargs: Any) -> dict[str, Any]:
    """A customer message POSTed to the webhook as the network would, then processed by the worker."""
    payload = world.payload(text, **kwargs)
    raw, headers = world.body(payload)
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    world.run_jobs()
    return payload


def case_numbers(world: World) -> list[int]:
    with world.runtime.db.transaction() as session:
        return list(session.scalars(select(Case.number).where(Case.workspace_id == world.workspace_id)
                                    .order_by(Case.number)))


def case_row(world: World, number: int) -> Case:
    with world.runtime.db.transaction() as session:
        case = session.scalar(select(Case).where(Case.workspace_id == world.workspace_id, Case.number == number))
        assert case is not None
        return case


class FakeNetwork:
    """Stands in for ``SandboxConnector.send``: accepts (remembering each send), or refuses with ``error``."""

    def __init__(self) -> None:
        self.error: SendError | None = None
        self.sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage, client: httpx.Client) -> SendResult:
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return SendResult(platform_message_id=f"sent-{len(self.sent)}")


def timeline_messages(client: TestClient, headers: dict[str, str], number: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/cases/{number}", headers=headers)
    assert response.status_code == 200, response.text
    return [i["message"] for i in response.json()["timeline"] if i["kind"] == "message"]
