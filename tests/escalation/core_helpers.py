"""Helpers of the escalation core's tests: partners, escalations and lifecycle steps, each in its own transaction
(as a request would), and the domain events emitted meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris import bus, events
from compris.escalation import actions
from compris.live import Publisher
from compris.models import BusinessHours, Case, CaseEvent, Escalation, Exchange, Partner, User
from compris.routing import shifts
from tests.conftest import World

T = TypeVar("T")


@contextmanager
def emitted(*types: type[events.DomainEvent]) -> Iterator[list[events.DomainEvent]]:
    """The domain events of these types emitted inside the block, in order."""
    seen: list[events.DomainEvent] = []

    def listener(session: Session, publisher: Publisher, event: Any) -> None:
        seen.append(event)

    with ExitStack() as stack:
        for event_type in types:
            stack.enter_context(bus.subscribed(event_type, listener))
        yield seen


def as_user(world: World, user: User, fn: Callable[[Session, User], T]) -> T:
    with world.runtime.db.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        return fn(s, actor)


def calendar(world: World, name: str = "Partner office", hours: str = "mon-fri 09:00-17:00",
             tz: str = "Europe/Paris") -> int:
    with world.runtime.db.transaction() as s:
        row = BusinessHours(workspace_id=world.workspace_id, name=name, timezone=tz, hours=shifts.parse(hours))
        s.add(row)
        s.flush()
        return row.id


def partner(world: World, name: str = "Hôtel des Arts", **kw: Any) -> int:
    kw.setdefault("emails", ["reservations@hotel-des-arts.example"])
    return as_user(world, world.admin, lambda s, admin: actions.create_partner(
        s, world.runtime.publisher, actor=admin, name=name, **kw).id)


def escalate(world: World, case_id: int, partner_id: int, brief: str = "Please check the booking", *,
             user: User | None = None, **kw: Any) -> int:
    def do(s: Session, actor: User) -> int:
        c = s.get(Case, case_id)
        assert c is not None
        return actions.escalate(s, world.runtime.publisher, actor=actor, case=c, partner_id=partner_id,
                                brief=brief, **kw).id
    return as_user(world, user or world.agent, do)


def step(world: World, escalation_id: int, name: str, **kw: Any) -> Any:
    """One lifecycle step (``follow_up``, ``close``, ``cancel``, ``reopen``, ``revoke_links``) by the agent."""
    def do(s: Session, actor: User) -> Any:
        e = actions.get_escalation(s, world.workspace_id, escalation_id)
        return getattr(actions, name)(s, world.runtime.publisher, actor=actor, escalation=e, **kw)
    return as_user(world, world.agent, do)


def escalation(world: World, escalation_id: int) -> Escalation:
    with world.runtime.db.transaction() as s:
        e = s.get(Escalation, escalation_id)
        assert e is not None
        s.expunge(e)
        return e


def exchanges(world: World, escalation_id: int) -> list[Exchange]:
    with world.runtime.db.transaction() as s:
        rows = list(s.scalars(select(Exchange).where(Exchange.escalation_id == escalation_id)
                              .order_by(Exchange.id)))
        s.expunge_all()
        return rows


def partner_row(world: World, partner_id: int) -> Partner:
    with world.runtime.db.transaction() as s:
        p = s.get(Partner, partner_id)
        assert p is not None
        s.expunge(p)
        return p


def kinds(world: World, case_id: int) -> list[str]:
    """The case's timeline kinds, in order."""
    with world.runtime.db.transaction() as s:
        return list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.id)))


def events_of(world: World, case_id: int, kind: str) -> list[dict[str, Any]]:
    with world.runtime.db.transaction() as s:
        return [dict(e.data or {}) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind).order_by(CaseEvent.id))]
