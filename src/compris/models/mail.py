"""The workspace's outgoing e-mail (to partners, reminders): its SMTP settings and every mail queued."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class MailSettings(WorkspaceScoped, Base):
    """One row per workspace. ``secrets`` is Fernet-encrypted JSON (``{"password": ...}``), like channel
    credentials. ``reply_address`` is the address partners' answers come back to, with ``{token}`` where the
    escalation's token goes (``care+{token}@brand.example``): a mailbox Compris reads as an e-mail channel."""

    __tablename__ = "mail_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    host: Mapped[str] = mapped_column(String(255), default="")
    port: Mapped[int] = mapped_column(Integer, default=587)
    security: Mapped[str] = mapped_column(String(16), default="starttls")  # starttls | ssl | plain
    username: Mapped[str] = mapped_column(String(254), default="")
    secrets: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    reply_address: Mapped[str] = mapped_column(String(254), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class MailState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(WorkspaceScoped, Base):
    """One e-mail Compris sends on the workspace's behalf. ``message_id`` (the RFC 5322 Message-ID) is fixed when
    it is queued, so a retry is the same mail; ``ref`` names what it is about (``{"escalation_id": 4}``)."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index("ix_outgoing_mails_ws_created", "workspace_id", "created_at"),
    )

    to: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text, default=None)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # In-Reply-To, References, Reply-To...
    upload_ids: Mapped[list[Any]] = mapped_column(default=list)
    message_id: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(32))  # escalation | reminder | test...
    ref: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default=MailState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
