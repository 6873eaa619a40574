"""listeners of listening (filled in by its issue)."""

from __future__ import annotations

# --- incidents (li-incidents) ------------------------------------------------------------------------------------
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import MessageReceived, TriageChanged
from compris.listening import (
    alert_listeners,  # noqa: F401  (alerts: spike counters, high-reach complaints)
    incidents,
)
from compris.live import Publisher
from compris.models import Case, IncidentCase, Message

#: after the clusters' assignment of the message (order 100), so that an incident's cluster rule sees it
INCIDENT_ORDER = 200


@listens(MessageReceived, order=INCIDENT_ORDER)
def link_to_open_incidents(session: Session, publisher: Publisher, event: MessageReceived) -> None:
    """A customer message: its case joins the open incidents it matches; a crisis case keeps its raised priority."""
    case = session.get(Case, event.case_id)
    message = session.get(Message, event.message_id)
    if case is not None and message is not None:
        incidents.auto_link(session, publisher, case, message)


@listens(TriageChanged, order=INCIDENT_ORDER)
def keep_crisis_priority(session: Session, publisher: Publisher, event: TriageChanged) -> None:
    """A triage correction reset the case's priority: a case of a crisis incident gets its raise back."""
    if not event.case_follows:
        return
    if session.scalar(select(IncidentCase.id).where(IncidentCase.case_id == event.case_id).limit(1)) is None:
        return
    case = session.get(Case, event.case_id)
    if case is not None:
        incidents.apply_crisis(session, publisher, case, incident=None, actor_user_id=None)
