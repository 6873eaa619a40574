"""Helpers of the applied-SLA tests: a policy, the scheduled pass, an agent's writes (each in its own
transaction, as a request would), counts. Time is frozen with ``tests.routing.helpers.frozen``; replies go out
when the test runs the jobs (``world.run_jobs()``), through the ``network`` fixture of ``tests/sla/conftest.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from compris.connectors.base import Visibility
from compris.inbox import actions
from compris.models import BusinessHours, Case, Message, SlaBreach, SlaPolicy, User
from compris.routing import shifts
from compris.sla import clocks as sla
from tests.conftest import World


def policy(world: World, **kw: Any) -> int:
    with world.runtime.db.transaction() as s:
        hours_text = kw.pop("hours", None)
        hours_id = None
        if hours_text:
            bh = BusinessHours(workspace_id=world.workspace_id, name="Office", timezone=kw.pop("tz", "Europe/Paris"),
                               hours=shifts.parse(hours_text))
            s.add(bh)
            s.flush()
            hours_id = bh.id
        row = SlaPolicy(workspace_id=world.workspace_id, name=kw.pop("name", "Default"),
                        business_hours_id=hours_id, **kw)
        s.add(row)
        s.flush()
        return row.id


def run_pass(world: World) -> sla.PassResult:
    with world.runtime.db.transaction() as s:
        return sla.run_pass(s, world.runtime.publisher)


def set_status(world: World, case_id: int, status: str, **kw: Any) -> None:
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        c = s.get(Case, case_id)
        assert actor is not None and c is not None
        actions.set_status(s, world.runtime.publisher, actor=actor, case=c, status=status, **kw)


def reply(world: World, case_id: int, text: str = "On it") -> int:
    """The agent's private reply, queued (not sent: run the jobs for that). Returns the message id."""
    with world.runtime.db.transaction() as s:
        actor = s.get(User, world.agent.id)
        c = s.get(Case, case_id)
        assert actor is not None and c is not None
        return actions.add_reply(s, world.runtime.publisher, actor=actor, case=c, text=text,
                                 visibility=Visibility.PRIVATE).id


def count(world: World, model: Any, *where: Any) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def breaches(world: World, case_id: int) -> list[tuple[str, int, Any]]:
    with world.runtime.db.transaction() as s:
        return [(b.metric, b.cycle, b.breached_at) for b in s.scalars(
            select(SlaBreach).where(SlaBreach.case_id == case_id).order_by(SlaBreach.id))]


def message(world: World, message_id: int) -> Message:
    with world.runtime.db.transaction() as s:
        m = s.get(Message, message_id)
        assert m is not None
        s.expunge(m)
        return m
