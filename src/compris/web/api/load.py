"""Small reads the API needs around a single row (the rows a response shows next to it).

Everything is already scoped: the row passed in was looked up in the caller's workspace.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.inbox.actions import outbox_key
from compris.inbox.schemas import CaseSummary, MessageOut
from compris.models import Case, ChannelAccount, Contact, Identity, Message, Outbox, Thread, User
from compris.web.api import serialize


def case_summary(session: Session, case: Case) -> CaseSummary:
    contact = session.get(Contact, case.contact_id)
    assert contact is not None
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    account = session.get(ChannelAccount, case.last_channel_account_id) if case.last_channel_account_id else None
    return serialize.case_summary(case, contact, assignee, account)


def message(session: Session, row: Message, case_number: int | None = None) -> MessageOut:
    if case_number is None:
        case = session.get(Case, row.case_id)
        assert case is not None
        case_number = case.number
    outbox = session.scalar(select(Outbox).where(Outbox.message_id == row.id)) if row.direction == "outbound" else None
    return serialize.message(
        row,
        case_number=case_number,
        author_identity=session.get(Identity, row.author_identity_id) if row.author_identity_id else None,
        author_user=session.get(User, row.author_user_id) if row.author_user_id else None,
        account=session.get(ChannelAccount, row.channel_account_id) if row.channel_account_id else None,
        thread=session.get(Thread, row.thread_id) if row.thread_id else None,
        outbox=outbox,
    )


def reply_for_key(session: Session, workspace_id: int, key: str) -> Message | None:
    """The reply an idempotency key already created in this workspace, if any."""
    message_id = session.scalar(
        select(Outbox.message_id).where(
            Outbox.idempotency_key == outbox_key(workspace_id, key), Outbox.workspace_id == workspace_id
        )
    )
    return session.get(Message, message_id) if message_id is not None else None
