"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import Escalation, EscalationStatus, Exchange, Partner

# --- escalation core (esc-core) ------------------------------------------------------------------------------


def partners(session: Session, workspace_id: int, *, active_only: bool = False) -> list[Partner]:
    """The workspace's partners and internal teams, by name (the deactivated ones too unless ``active_only``)."""
    query = select(Partner).where(Partner.workspace_id == workspace_id)
    if active_only:
        query = query.where(Partner.is_active.is_(True))
    return list(session.scalars(query.order_by(Partner.name, Partner.id)))


@dataclass
class EscalationItem:
    """One escalation with its partner and its exchanges (oldest first)."""

    escalation: Escalation
    partner: Partner
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def last_exchange(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def is_overdue(self, at: datetime | None = None) -> bool:
        return is_overdue(self.escalation, at)


def is_overdue(escalation: Escalation, at: datetime | None = None) -> bool:
    """Still waiting for the partner after its due time."""
    return (escalation.status == EscalationStatus.OPEN and escalation.due_at is not None
            and escalation.due_at <= (at or now()))


def _items(session: Session, rows: list[Escalation]) -> list[EscalationItem]:
    if not rows:
        return []
    ids = [e.id for e in rows]
    partner_rows = {p.id: p for p in session.scalars(
        select(Partner).where(Partner.id.in_({e.partner_id for e in rows})))}
    exchanges: dict[int, list[Exchange]] = {i: [] for i in ids}
    for ex in session.scalars(select(Exchange).where(Exchange.escalation_id.in_(ids))
                              .order_by(Exchange.created_at, Exchange.id)):
        exchanges[ex.escalation_id].append(ex)
    return [EscalationItem(e, partner_rows[e.partner_id], exchanges[e.id]) for e in rows]


def case_escalations(session: Session, workspace_id: int, case_id: int) -> list[EscalationItem]:
    """A case's escalations, newest first, each with its partner and exchanges."""
    rows = list(session.scalars(
        select(Escalation).where(Escalation.workspace_id == workspace_id, Escalation.case_id == case_id)
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())))
    return _items(session, rows)


def escalation_item(session: Session, workspace_id: int, escalation_id: int) -> EscalationItem | None:
    row = session.scalar(select(Escalation).where(Escalation.workspace_id == workspace_id,
                                                  Escalation.id == escalation_id))
    return _items(session, [row])[0] if row is not None else None


def open_escalations(session: Session, workspace_id: int) -> list[EscalationItem]:
    """The workspace's escalations not ended yet (waiting for the partner, or answered), soonest due first."""
    rows = list(session.scalars(
        select(Escalation).where(Escalation.workspace_id == workspace_id,
                                 Escalation.status.in_([EscalationStatus.OPEN, EscalationStatus.ANSWERED]))
        .order_by(Escalation.due_at.is_(None), Escalation.due_at, Escalation.id)))
    return _items(session, rows)


def overdue_escalations(session: Session, workspace_id: int, at: datetime | None = None) -> list[EscalationItem]:
    """Escalations still waiting for their partner after their due time, most overdue first."""
    rows = list(session.scalars(
        select(Escalation).where(Escalation.workspace_id == workspace_id,
                                 Escalation.status == EscalationStatus.OPEN, Escalation.due_at.is_not(None),
                                 Escalation.due_at <= (at or now()))
        .order_by(Escalation.due_at, Escalation.id)))
    return _items(session, rows)


# --- end of escalation core ----------------------------------------------------------------------------------
