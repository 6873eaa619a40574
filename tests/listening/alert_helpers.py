"""Helpers for the alert tests: a customer's message straight through ``record_inbound`` at a given time, a fan
page account, a frozen clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.channels.actions import create_account
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions as inbox
from compris.live import Publisher
from compris.models import Alert, ChannelAccount
from tests.conftest import SECRET, World


def fan_page(world: World) -> int:
    with world.runtime.db.transaction() as s:
        account = create_account(s, SECRET, workspace_id=world.workspace_id, network="sandbox",
                                 name=f"{world.workspace.slug} fan page", external_id=f"fans-{world.workspace.slug}",
                                 settings={"api_base": "http://sandbox.invalid"},
                                 secrets={"webhook_secret": "whsec-fans", "api_token": "tok-fans"})
        return account.id


def customer_writes(world: World, text: str, *, at: datetime, author: str | None = None,
                    account_id: int | None = None, followers: int | None = 10, verified: bool = False,
                    promoted: bool = False, reshares: int = 0) -> int | None:
    """A customer's public post, stored as the inbound job stores it; returns the case id."""
    author = author or f"cust-{uuid.uuid4().hex[:8]}"
    mid = f"m-{uuid.uuid4().hex[:10]}"
    message = InboundMessage(
        platform_message_id=mid, thread_key=f"post-{mid}", visibility=Visibility.PUBLIC,
        author=Author(platform_user_id=author, handle=f"@{author}", name=author.title(), followers=followers,
                      verified=verified),
        text=text, created_at=at, promoted=promoted, reshares=reshares)
    with world.runtime.db.transaction() as s:
        account = s.get(ChannelAccount, account_id or world.account.id)
        assert account is not None
        stored = inbox.record_inbound(s, world.runtime.publisher, account, message)
        return stored.case_id if stored is not None else None


def alerts_of(world: World, kind: str | None = None) -> list[Alert]:
    with world.runtime.db.transaction() as s:
        stmt = select(Alert).where(Alert.workspace_id == world.workspace_id).order_by(Alert.id)
        if kind:
            stmt = stmt.where(Alert.kind == kind)
        rows = list(s.scalars(stmt))
        for r in rows:
            s.expunge(r)
        return rows


def spy_live(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The live ``alert`` events published (on either database: SQLite after commit, PostgreSQL by NOTIFY)."""
    seen: list[dict[str, Any]] = []
    real = Publisher.publish

    def record(self: Publisher, session: Session, workspace_id: int, kind: str, **data: Any) -> None:
        if kind == "alert":
            seen.append({"workspace_id": workspace_id, **data})
        real(self, session, workspace_id, kind, **data)

    monkeypatch.setattr(Publisher, "publish", record)
    return seen
