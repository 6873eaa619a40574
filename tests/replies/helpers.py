"""Helpers for the replies tests: customer messages through the real pipeline, cases, users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.connectors.base import WebhookRequest
from compris.inbox.ingest import receive
from compris.models import Case, User
from tests.conftest import SECRET, World


def customer_writes(world: World, text: str, **kwargs: Any) -> dict[str, Any]:
    """A signed sandbox delivery stored as the webhook would, then processed by the pipeline job."""
    payload = world.payload(text, **kwargs)
    raw, headers = world.body(payload)
    runtime = world.runtime
    receive(runtime.db, runtime.publisher, SECRET, world.account.id,
            WebhookRequest(method="POST", headers=headers, query={}, body=raw))
    world.run_jobs()
    return payload


@contextmanager
def session_of(world: World) -> Iterator[Session]:
    with world.runtime.db.transaction() as session:
        yield session


def case_of(session: Session, world: World, number: int = 1) -> Case:
    case = session.scalar(select(Case).where(Case.workspace_id == world.workspace_id, Case.number == number))
    assert case is not None
    return case


def user(session: Session, row: User) -> User:
    found = session.get(User, row.id)
    assert found is not None
    return found
