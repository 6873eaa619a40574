"""Helpers of the analytics tests: the rollup job's work done by hand, the rollup tables read back, and case
histories written straight into the tables (as the inbox would have left them) for the random tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.analytics import rollups
from compris.analytics.figures import Filters
from compris.models import (
    AnalyticsDaily,
    AnalyticsDirty,
    AnalyticsHourly,
    AnalyticsSlice,
    AnalyticsWeekly,
    Case,
    CaseEvent,
    Contact,
    Message,
)
from tests.conftest import World


def catch_up(world: World) -> int:
    """What the ``analytics.rollup`` job does: every marked case recomputed."""
    done = 0
    while True:
        with world.runtime.db.transaction() as s:
            taken = rollups.process_dirty(s)
        if not taken:
            return done
        done += taken


def dirty(world: World) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AnalyticsDirty)
                            .where(AnalyticsDirty.workspace_id == world.workspace_id)) or 0)


def snapshot(world: World) -> dict[str, dict[tuple[Any, ...], tuple[int, float]]]:
    """Every non-empty rollup cell of the workspace."""
    out: dict[str, dict[tuple[Any, ...], tuple[int, float]]] = {}
    with world.runtime.db.transaction() as s:
        for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsSlice, AnalyticsWeekly):
            cols = [c for c in model.__table__.columns if c.name not in ("id", "n", "total")]  # type: ignore[attr-defined]
            rows = s.execute(select(*cols, model.n, model.total).where(model.workspace_id == world.workspace_id))
            out[model.__tablename__] = {tuple(r[:-2]): (int(r[-2]), round(float(r[-1]), 2)) for r in rows
                                        if int(r[-2]) or round(float(r[-1]), 2)}
    return out


def rebuild(world: World, since: date | None = None) -> int:
    return rollups.rebuild_all(world.runtime.db, world.workspace_id, since)


def period(start: date, end: date | None = None, **kw: Any) -> Filters:
    return Filters(start=start, end=end or start, **kw)


# --- histories written directly ------------------------------------------------------------------------------------


def new_case(s: Session, world: World, at: datetime) -> Case:
    contact = Contact(workspace_id=world.workspace_id, display_name="Customer", created_at=at)
    s.add(contact)
    s.flush()
    number = (s.scalar(select(func.max(Case.number)).where(Case.workspace_id == world.workspace_id)) or 0) + 1
    case = Case(workspace_id=world.workspace_id, number=number, contact_id=contact.id, created_at=at,
                last_activity_at=at, triage={}, last_channel_account_id=world.account.id)
    s.add(case)
    s.flush()
    return case


def message(s: Session, world: World, case_id: int, at: datetime, *, inbound: bool, **kw: Any) -> Message:
    row = Message(workspace_id=world.workspace_id, case_id=case_id, channel_account_id=world.account.id,
                  direction="inbound" if inbound else "outbound", visibility=kw.pop("visibility", "public"),
                  created_at=at, sent_at=kw.pop("sent_at", at), triage=kw.pop("triage", {}),
                  platform_extra=kw.pop("extra", {}), **kw)
    s.add(row)
    s.flush()
    return row


def event(s: Session, world: World, case_id: int, at: datetime, kind: str, actor: int | None = None,
          **data: Any) -> None:
    s.add(CaseEvent(workspace_id=world.workspace_id, case_id=case_id, kind=kind, data=data, created_at=at,
                    actor_user_id=actor))
    s.flush()
