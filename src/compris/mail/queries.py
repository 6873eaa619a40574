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
