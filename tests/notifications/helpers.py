"""Helpers of the notifications tests: cases fed through the real pipeline, users, actions as a user, and the
notifications each user holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.accounts import actions as accounts
from compris.inbox.ingest import receive
from compris.models import Case, Notification, User, Workspace
from tests.conftest import SECRET, World
from tests.inbox.test_ingest import _request

T = TypeVar("T")


def new_case(world: World, text: str = "My parcel is late", author: str = "marie") -> int:
    """A customer's message through the real pipeline; the id of its case."""
    rt = world.runtime
    receive(rt.db, rt.publisher, SECRET, world.account.id, _request(world, world.payload(text, author=author)))
    world.run_jobs()
    with rt.db.transaction() as s:
        found = s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id).order_by(Case.id.desc()))
        return int(found.first() or 0)


def add_user(world: World, name: str, email: str, role: str = "agent", active: bool = True) -> User:
    with world.runtime.db.transaction() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(s, workspace=workspace, email=email, name=name,
                                    password="correct horse battery", role=role)
        user.is_active = active
        return user


def as_user(world: World, user: User, fn: Callable[[Session, User, Case | None], T], case_id: int | None = None) -> T:
    """``fn(session, actor, case)`` in one transaction, as a request would."""
    with world.runtime.db.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        case = s.get(Case, case_id) if case_id is not None else None
        return fn(s, actor, case)


def notifications_of(world: World, user: User | int) -> list[dict[str, Any]]:
    user_id = user if isinstance(user, int) else user.id
    with world.runtime.db.transaction() as s:
        rows = s.scalars(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        return [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "message_id": n.message_id,
                 "actor_user_id": n.actor_user_id, "excerpt": n.excerpt, "data": dict(n.data or {}),
                 "key": n.dedupe_key, "read_at": n.read_at, "workspace_id": n.workspace_id} for n in rows]
