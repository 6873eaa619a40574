"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import (
    OPEN_ESCALATION_STATUSES,
    Case,
    Escalation,
    EscalationStatus,
    Partner,
    User,
)

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
