"""Reactions to other capabilities' domain events (``@listens``), declared in the ``compris.listeners`` entry point."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.escalation import followup
from compris.events import (
    EscalationAnswered,
    EscalationChange,
    EscalationClosed,
    EscalationCreated,
    EscalationFollowedUp,
    EscalationReopened,
)
from compris.live import Publisher
from compris.models import Escalation

# --- follow-up: when the follow-up pass looks at an escalation next (esc-followup) ---------------------------------


@listens(EscalationCreated, EscalationReopened, EscalationFollowedUp, EscalationAnswered, EscalationClosed)
def schedule_follow_up(session: Session, publisher: Publisher, event: EscalationChange) -> None:
    """(Re)compute ``next_check_at``: a new or reopened escalation gets a fresh schedule (a reopened one can be
    overdue again for its new due time); an answered, closed or cancelled one has none (no more reminders)."""
    escalation = session.get(Escalation, event.escalation_id)
    if escalation is None or escalation.workspace_id != event.workspace_id:
        return
    if isinstance(event, EscalationReopened):
        escalation.overdue_at = None
    followup.reschedule(session, escalation)
