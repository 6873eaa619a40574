"""Helpers for routing and SLA tests: agents, teams, customer messages straight through ``record_inbound``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions
from compris.kit import clock
from compris.models import AgentProfile, Case, ChannelAccount, Presence, Team, TeamMember, User
from compris.runtime import Runtime


class Clock:
    """A settable clock for ``compris.kit.clock``."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> datetime:
        self.at += timedelta(**kwargs)
        return self.at


@contextmanager
def frozen(start: datetime) -> Iterator[Clock]:
    c = Clock(start)
    clock.set_now(c)
    try:
        yield c
    finally:
        clock.set_now(None)


def agent(session: Session, workspace_id: int, name: str, *, capacity: int = 5, online: bool = True,
          role: str = "agent", skills: dict[str, Any] | None = None, teams: tuple[Team, ...] = ()) -> User:
    user = User(workspace_id=workspace_id, email=f"{name.lower()}-{uuid.uuid4().hex[:6]}@x.test", name=name,
                password_hash="x" * 40, role=role)
    session.add(user)
    session.flush()
    session.add(AgentProfile(workspace_id=workspace_id, user_id=user.id, capacity=capacity, skills=skills or {},
                             presence=Presence.ONLINE if online else Presence.OFFLINE,
                             last_seen_at=clock.now() if online else None))
    for team in teams:
        session.add(TeamMember(workspace_id=workspace_id, team_id=team.id, user_id=user.id))
    session.flush()
    return user


def team(session: Session, workspace_id: int, name: str, *, default: bool = False, tz: str = "UTC",
         shifts: dict[str, Any] | None = None) -> Team:
    t = Team(workspace_id=workspace_id, name=name, is_default=default, timezone=tz, shifts=shifts or {})
    session.add(t)
    session.flush()
    return t


def inbound(runtime: Runtime, account_id: int, text: str = "Hello", *, author: str = "cust-1",
            kind: str = "post", thread: str | None = None, extra_triage: dict[str, Any] | None = None) -> int:
    """One customer message, stored in its own transaction; returns the case id."""
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        mid = uuid.uuid4().hex[:12]
        message = actions.record_inbound(
            session, runtime.publisher, account,
            InboundMessage(
                platform_message_id=mid,
                thread_key=thread or (f"dm-{author}" if kind == "dm" else f"post-{mid}"),
                visibility=Visibility.PRIVATE if kind == "dm" else Visibility.PUBLIC,
                author=Author(platform_user_id=author, handle=f"@{author}", name=author.title()),
                text=text,
                created_at=clock.now() if clock.now() else datetime.now(UTC),
            ),
        )
        assert message is not None
        return message.case_id


def case(runtime: Runtime, case_id: int) -> Case:
    with runtime.db.transaction() as session:
        c = session.get(Case, case_id)
        assert c is not None
        session.expunge(c)
        return c
