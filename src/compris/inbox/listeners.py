"""The inbox's reactions to domain events: a customer's files are fetched and kept once their message is stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import (  # priority
    CaseChange,
    CasesMerged,
    EchoReceived,
    MessageClaimed,
    MessageReceived,
    ReplyFailed,
    ReplySent,
    TriageChanged,
)
from compris.inbox import attachments
from compris.live import Publisher


@listens(MessageReceived, MessageClaimed, order=100)
def fetch_customer_files(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """Mark the message's files pending and queue ``inbox.fetch_attachments`` (in this transaction: the job exists
    exactly when the message does; it runs after the commit, outside any transaction)."""
    assert isinstance(event, MessageReceived | MessageClaimed)
    attachments.queue_fetch(session, publisher, event.message_id)


# --- priority ---


@listens(EchoReceived, ReplySent, ReplyFailed, TriageChanged, CasesMerged, order=5)
def recompute_priority(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """An answer went out (or failed), a triage changed, cases merged: the case's open needs changed
    (``compris.inbox.priority``); before the SLA (order 30) reads the priority."""
    from compris.inbox.actions.priority import refresh_priority
    from compris.models import Case

    case = session.get(Case, event.case_id)
    if case is not None:
        refresh_priority(session, publisher, case)
