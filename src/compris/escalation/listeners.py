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
from compris.inbox.actions.cases import change_status
from compris.live import Publisher, publish_case
from compris.models import Case, CaseStatus, Escalation, Partner

# --- escalation core (esc-core): the case's status follows its escalations ------------------------------------


@listens(EscalationAnswered, order=50)
def reopen_case_on_answer(session: Session, publisher: Publisher, event: EscalationAnswered) -> None:
    """The partner answered: a case waiting on the partner goes back to open (through the one status path, so the
    customer SLA's pause ends), and the agents, the assignee first, see the answer live."""
    case = session.get(Case, event.case_id)
    if case is None or case.workspace_id != event.workspace_id:
        return
    if case.status == CaseStatus.WAITING_PARTNER:
        change_status(session, publisher, case, CaseStatus.OPEN, reason="the partner answered")
    partner = session.get(Partner, event.partner_id)
    publish_case(session, publisher, case, "escalation_answered", escalation_id=event.escalation_id,
                 partner=partner.name if partner else "", outcome=event.outcome, notify_user_id=case.assignee_id)


# --- end of escalation core ----------------------------------------------------------------------------------


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
