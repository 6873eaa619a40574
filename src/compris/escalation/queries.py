"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import (
    OPEN_ESCALATION_STATUSES,
    Case,
    Escalation,
    EscalationStatus,
    Exchange,
    Partner,
    User,
)

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


# --- follow-up: overdue and due-soon escalations for supervisors (esc-followup) -------------------------------------

FOLLOW_UP_STATES = ("overdue", "due_soon", "open")
#: "due soon": due within this time
DUE_SOON = timedelta(hours=4)


@dataclass(frozen=True)
class FollowUpRow:
    """One escalation as supervisors follow it up."""

    escalation: Escalation
    case_number: int
    partner_name: str
    assignee_id: int | None
    assignee_name: str | None

    def state(self, at: datetime, soon: timedelta = DUE_SOON) -> str:
        due = self.escalation.due_at
        if self.escalation.status == EscalationStatus.OPEN and due is not None:
            if due <= at:
                return "overdue"
            if due <= at + soon:
                return "due_soon"
        return "open"

    def late_by(self, at: datetime) -> timedelta | None:
        due = self.escalation.due_at
        return at - due if due is not None and due <= at else None


def follow_up_list(session: Session, workspace_id: int, state: str, at: datetime, *, soon: timedelta = DUE_SOON,
                   limit: int = 200) -> list[FollowUpRow]:
    """The workspace's escalations waiting for a partner: ``overdue`` (due time passed, no answer), ``due_soon``
    (due within ``soon``) or every ``open`` one (waiting for the partner, or answered and waiting for the agent);
    the earliest due first (the ``(workspace_id, status, due_at)`` index)."""
    if state not in FOLLOW_UP_STATES:
        raise ValueError(f"state must be one of {', '.join(FOLLOW_UP_STATES)}")
    query = (select(Escalation, Case.number, Partner.name, Case.assignee_id, User.name)
             .join(Case, Case.id == Escalation.case_id)
             .join(Partner, Partner.id == Escalation.partner_id)
             .outerjoin(User, User.id == Case.assignee_id)
             .where(Escalation.workspace_id == workspace_id))
    if state == "overdue":
        query = query.where(Escalation.status == EscalationStatus.OPEN, Escalation.due_at <= at)
    elif state == "due_soon":
        query = query.where(Escalation.status == EscalationStatus.OPEN, Escalation.due_at > at,
                            Escalation.due_at <= at + soon)
    else:
        query = query.where(Escalation.status.in_(OPEN_ESCALATION_STATUSES))
    query = query.order_by(Escalation.due_at.is_(None), Escalation.due_at, Escalation.id).limit(limit)
    return [FollowUpRow(e, number, partner, assignee_id, assignee)
            for e, number, partner, assignee_id, assignee in session.execute(query).all()]
