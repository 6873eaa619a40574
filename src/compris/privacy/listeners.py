"""Reactions of privacy to domain events: a message its author deleted on the platform loses its content (text,
attachments and their files, the raw delivery, triage and listening copies) the way an erasure removes it; the
message row, its ``deleted_at`` and the case timeline's "deleted by the author" stay."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.events import MessageDeleted
from compris.live import Publisher
from compris.models import Message
from compris.privacy.actions.erasure import erase_message_content

#: after every other reaction to the deletion (they may still read the message)
ORDER = 900


@listens(MessageDeleted, order=ORDER)
def erase_deleted_message(session: Session, publisher: Publisher, event: MessageDeleted) -> None:
    if event.by != "customer":
        return  # our own reply removed by the platform (moderation): it stays for the record
    message = session.get(Message, event.message_id)
    if message is None or message.workspace_id != event.workspace_id:
        return
    erase_message_content(session, publisher, message)
