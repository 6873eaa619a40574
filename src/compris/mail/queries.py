"""Reads of outgoing mail, always scoped to a workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import MailSettings, OutgoingMail


def settings_of(session: Session, workspace_id: int) -> MailSettings | None:
    return session.scalar(select(MailSettings).where(MailSettings.workspace_id == workspace_id))


def recent_mails(session: Session, workspace_id: int, limit: int = 100) -> list[OutgoingMail]:
    return list(session.scalars(select(OutgoingMail).where(OutgoingMail.workspace_id == workspace_id)
                                .order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc()).limit(limit)))


def mail_of(session: Session, workspace_id: int, mail_id: int) -> OutgoingMail | None:
    row = session.get(OutgoingMail, mail_id)
    return row if row is not None and row.workspace_id == workspace_id else None


def mails(session: Session, workspace_id: int, *, state: str | None = None, purpose: str | None = None,
          limit: int = 100) -> list[OutgoingMail]:
    """The workspace's latest mails, newest first (an index on workspace and creation time)."""
    query = select(OutgoingMail).where(OutgoingMail.workspace_id == workspace_id)
    if state:
        query = query.where(OutgoingMail.state == state)
    if purpose:
        query = query.where(OutgoingMail.purpose == purpose)
    return list(session.scalars(query.order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc())
                                .limit(limit)))
