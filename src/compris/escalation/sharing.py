"""What an escalation shares with the partner, as the partner sees it: the chosen messages (customer's personal
data masked unless the agent ticked it in) and the chosen files.

(A minimal version written by the partner-side part of the team against the contract the escalation core
documents: ``shared_view(session, escalation) -> SharedView``; the core's own version replaces it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.connectors.base import Visibility
from compris.models import Direction, Escalation, Message, Upload
from compris.triage.pii import mask


@dataclass(frozen=True)
class SharedMessage:
    author: str  # a label: "Customer", "Agent" (never the customer's handle when personal data is masked)
    at: datetime
    text: str  # already masked as chosen


@dataclass(frozen=True)
class SharedView:
    messages: tuple[SharedMessage, ...]
    upload_ids: tuple[int, ...]
    personal_data: bool


def shared_view(session: Session, escalation: Escalation) -> SharedView:
    """The messages and files the agent chose to share with the partner, in order, masked as chosen."""
    shared = escalation.shared or {}
    personal = bool(shared.get("personal_data"))
    message_ids = [int(m) for m in shared.get("message_ids") or []]
    rows = list(session.scalars(
        select(Message).where(Message.workspace_id == escalation.workspace_id, Message.case_id == escalation.case_id,
                              Message.id.in_(message_ids), Message.visibility != Visibility.NOTE)
        .order_by(Message.sent_at, Message.id))) if message_ids else []
    messages = tuple(
        SharedMessage(author="customer" if m.direction == Direction.INBOUND else "agent", at=m.sent_at,
                      text=m.text if personal else mask(m.text))
        for m in rows)
    wanted = [int(u) for u in shared.get("upload_ids") or []]
    found = set(session.scalars(select(Upload.id).where(Upload.workspace_id == escalation.workspace_id,
                                                        Upload.id.in_(wanted)))) if wanted else set()
    return SharedView(messages=messages, upload_ids=tuple(u for u in wanted if u in found), personal_data=personal)
