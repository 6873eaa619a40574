"""The inbox's reactions to domain events: a customer's files are fetched and kept once their message is stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import CaseChange, MessageClaimed, MessageReceived
from compris.inbox import attachments
from compris.inbox.actions import reads
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
