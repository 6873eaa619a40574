"""The inbox's reactions to domain events: a customer's files are fetched and kept once their message is stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.connectors import registry
from compris.events import (
    CaseChange,
    CasesMerged,
    CasesUnmerged,
    ContactErased,
    ContactsMerged,
    EchoReceived,
    MessageClaimed,
    MessageDeleted,
    MessageReceived,
    ReplyFailed,
    ReplySent,
    TriageChanged,
)
from compris.inbox import attachments
from compris.inbox.actions import customers, reads
from compris.live import Publisher


@listens(MessageReceived, MessageClaimed, order=100)
def fetch_customer_files(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """Mark the message's files pending and queue ``inbox.fetch_attachments`` (in this transaction: the job exists
    exactly when the message does; it runs after the commit, outside any transaction)."""
    assert isinstance(event, MessageReceived | MessageClaimed)
    attachments.queue_fetch(session, publisher, event.message_id)


@listens(MessageReceived, order=10)
def unread_again(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """A customer wrote: the case is unread again for the agents who had read it (issue 18: read marks per
    agent)."""
    assert isinstance(event, MessageReceived)
    reads.customer_wrote(session, event.case_id)


# --- customer (issue 18): notes about a customer, probably the same customer ---------------------------------------


@listens(MessageReceived, order=110)
def index_customer_keys(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """The message's references, addresses, numbers and its author's name, kept for the same-customer suggestions."""
    assert isinstance(event, MessageReceived)
    found = customers.reach_of_message(session, event.message_id)
    reach = None
    if found is not None:
        try:
            reach = registry.get(found[0]).reach_kind(found[1])
        except registry.UnknownNetwork:
            reach = None
    customers.record_customer_keys(session, event.message_id, reach=reach)


@listens(MessageDeleted)
def forget_deleted_message_keys(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """A message deleted by its author: its references, addresses and numbers no longer suggest anyone."""
    assert isinstance(event, MessageDeleted)
    customers.forget_deleted_message_keys(session, event.message_id, reach=_reach(session, event.message_id))


def _reach(session: Session, message_id: int) -> str | None:
    found = customers.reach_of_message(session, message_id)
    if found is None:
        return None
    try:
        return registry.get(found[0]).reach_kind(found[1])
    except registry.UnknownNetwork:
        return None


@listens(ContactsMerged)
def carry_customer_notes(session: Session, publisher: Publisher, event: ContactsMerged) -> None:
    """The merged-away contact's notes follow it to the contact it went into."""
    customers.move_customer_notes(session, source_contact_id=event.source_contact_id,
                                  target_contact_id=event.target_contact_id)


@listens(ContactErased)
def forget_erased_customer(session: Session, publisher: Publisher, event: ContactErased) -> None:
    """An erased contact's notes, same-customer keys and dismissed pairs go with the rest of their personal data."""
    customers.forget_customer(session, workspace_id=event.workspace_id, contact_ids=[event.contact_id])
# --- priority ---


@listens(EchoReceived, ReplySent, ReplyFailed, TriageChanged, CasesMerged, CasesUnmerged, order=5)
def recompute_priority(session: Session, publisher: Publisher, event: CaseChange) -> None:
    """An answer went out (or failed), a triage changed, cases merged or taken apart (both cases): the case's open
    needs changed (``compris.inbox.priority``); before the SLA (order 30) reads the priority."""
    from compris.inbox.actions.priority import refresh_priority
    from compris.models import Case

    ids = [event.case_id, *([event.source_case_id] if isinstance(event, CasesUnmerged) else [])]
    for case_id in ids:
        case = session.get(Case, case_id)
        if case is not None:
            refresh_priority(session, publisher, case)
