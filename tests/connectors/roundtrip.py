"""The full round trip through Compris for one network: a signed webhook into ``/webhooks/{id}`` (or a
poll), the case in the inbox, an agent's reply, the send job, and what the platform's stand-in received."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.channels.actions import create_account
from compris.config import Settings
from compris.inbox import actions
from compris.models import Case, CaseEvent, Message, User
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import SECRET, World


def now_ms(offset_seconds: float = 0.0) -> int:
    return int((time.time() + offset_seconds) * 1000)


class RoundTrip:
    def __init__(self, settings: Settings, runtime: Runtime, world: World, *, network: str, external_id: str,
                 secrets: dict[str, str], account_settings: dict[str, Any] | None = None,
                 workspace_id: int | None = None) -> None:
        self.runtime, self.world = runtime, world
        with runtime.db.transaction() as session:
            account = create_account(session, SECRET, workspace_id=workspace_id or world.workspace_id,
                                     network=network, name=f"{network} {external_id}", external_id=external_id,
                                     settings=account_settings or {}, secrets=secrets)
            self.account_id = account.id
        self.client = TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)

    def deliver(self, body: bytes, headers: dict[str, str], account_id: int | None = None) -> None:
        response = self.client.post(f"/webhooks/{account_id or self.account_id}", content=body,
                                    headers={"content-type": "application/json", **headers})
        assert response.status_code == 200, response.text
        self.world.run_jobs()

    def inbound(self, platform_id: str, account_id: int | None = None) -> Message:
        with self.runtime.db.transaction() as session:
            message = session.scalar(select(Message).where(
                Message.channel_account_id == (account_id or self.account_id),
                Message.platform_message_id == platform_id))
            assert message is not None, f"no message {platform_id}"
            return message

    def reply(self, to: str, text: str, visibility: str) -> int:
        """The agent answers the inbound message ``to`` (a platform id); returns the reply's id."""
        target = self.inbound(to)
        with self.runtime.db.transaction() as session:
            case = session.get(Case, target.case_id)
            agent = session.get(User, self.world.agent.id)
            assert case is not None and agent is not None
            message = actions.add_reply(session, self.runtime.publisher, actor=agent, case=case, text=text,
                                        visibility=visibility, reply_to_message_id=target.id)
            reply_id = message.id
        self.world.run_jobs()
        return reply_id

    def message(self, message_id: int) -> Message:
        with self.runtime.db.transaction() as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message

    def events(self, kind: str) -> list[CaseEvent]:
        with self.runtime.db.transaction() as session:
            return list(session.scalars(select(CaseEvent).where(CaseEvent.kind == kind).order_by(CaseEvent.id)))

    def case_page(self, number: int) -> str:
        from tests.web.test_pages import Agent

        agent = Agent(self.client, self.world.agent.email)
        page = agent.get(f"/cases/{number}")
        assert page.status_code == 200
        return str(page.text)
