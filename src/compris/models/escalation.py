"""Escalations: partners and internal teams a case is handed to, each escalation and what was exchanged."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class PartnerKind(enum.StrEnum):
    PARTNER = "partner"  # outside the brand: a hotel, a carrier, a warehouse, a payment provider
    TEAM = "team"  # an internal back-office team: billing, baggage, refunds


class Partner(WorkspaceScoped, Base):
    """Someone a case can be escalated to, reached by e-mail and a signed portal link (no account).

    ``due_minutes`` is the time they have to answer, counted on ``business_hours_id``'s calendar (None: calendar
    time, 24/7). ``reminders`` is ``{"before_minutes": [60], "after_minutes": [0, 240], "repeat_minutes":
    1440}``: reminder e-mails that many minutes of that calendar before / after the due time, then every
    ``repeat_minutes`` while overdue (0 or absent: no repeat). ``link_days``: how long a portal link lives."""

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=PartnerKind.PARTNER)
    emails: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")
    business_hours_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_hours.id", ondelete="SET NULL"), default=None
    )
    due_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    reminders: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link_days: Mapped[int] = mapped_column(Integer, default=14)
    notes: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class EscalationStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the partner
    ANSWERED = "answered"  # the partner answered (or said done / needs more information): the agent's turn
    CLOSED = "closed"  # the agent closed it
    CANCELLED = "cancelled"


OPEN_ESCALATION_STATUSES = (EscalationStatus.OPEN, EscalationStatus.ANSWERED)


class Escalation(WorkspaceScoped, Base):
    """A case handed to a partner or internal team, with its own due time, reminders and signed links.

    ``shared`` records what the agent chose to share: ``{"message_ids": [...], "upload_ids": [...],
    "personal_data": false}`` (personal data masked unless ticked in). ``link_version`` is part of every portal
    link: revoking the links increments it. ``reply_token`` names the escalation in the tokenised Reply-To
    address of its e-mails, ``mail_message_id`` is the Message-ID of the first e-mail (the thread's root)."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("reply_token"),
        Index("ix_escalations_ws_status_due", "workspace_id", "status", "due_at"),
        Index("ix_escalations_next_check", "next_check_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN)
    partner_outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # answer | done | need_info
    brief: Mapped[str] = mapped_column(Text, default="")
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("reply_templates.id", ondelete="SET NULL"), default=None
    )
    shared: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="en")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    # when the follow-up pass looks at it next (a reminder or the due time); None: nothing scheduled
    next_check_at: Mapped[datetime | None] = mapped_column(default=None)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    overdue_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # resolved | cancelled
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    links_revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    reply_token: Mapped[str] = mapped_column(String(64))
    mail_message_id: Mapped[str | None] = mapped_column(String(300), default=None)
    # the case status before the escalation put it on "waiting on partner" (restored when it ends)
    previous_case_status: Mapped[str | None] = mapped_column(String(24), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class Exchange(WorkspaceScoped, Base):
    """One message of an escalation: to the partner (the brief, a follow-up, a reminder) or from them (an answer,
    "done on our side", "need more information"), with its attachments (upload ids) and how it travelled."""

    __tablename__ = "escalation_exchanges"
    __table_args__ = (Index("ix_escalation_exchanges_esc_created", "escalation_id", "created_at"),)

    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))  # to_partner | from_partner
    kind: Mapped[str] = mapped_column(String(16))  # brief | follow_up | reminder | answer | done | need_info
    text: Mapped[str] = mapped_column(Text, default="")
    upload_ids: Mapped[list[Any]] = mapped_column(default=list)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    author_email: Mapped[str | None] = mapped_column(String(254), default=None)
    via: Mapped[str] = mapped_column(String(16), default="ui")  # ui | api | portal | email | system
    mail_message_id: Mapped[str | None] = mapped_column(String(300), default=None, index=True)
