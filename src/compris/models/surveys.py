"""Satisfaction surveys: their settings (per workspace, per channel account) and each survey sent or skipped."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class SurveySettings(WorkspaceScoped, Base):
    """``channel_account_id`` None: the workspace's defaults; a row for an account overrides them for it.

    ``questions`` / ``comment_questions``: ``{"en": ..., "fr": ...}`` (the customer's language, else the
    workspace's); ``scale``: ``stars5`` (1–5 stars) or ``faces5`` (five emoji faces), both CSAT (4 and 5 are
    satisfied); ``quiet_days``: no new survey for a customer surveyed that recently; ``low_rating`` and below
    alerts the supervisors, and reopens the case when ``reopen_on_low``."""

    __tablename__ = "survey_settings"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_account_id"),
        # the unique constraint lets two NULL accounts through: one workspace row, at most
        Index("uq_survey_settings_workspace_default", "workspace_id", unique=True,
              sqlite_where=text("channel_account_id IS NULL"), postgresql_where=text("channel_account_id IS NULL")),
    )

    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), default=None
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    delay_minutes: Mapped[int] = mapped_column(Integer, default=60)
    questions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment_questions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ask_comment: Mapped[bool] = mapped_column(default=True)
    scale: Mapped[str] = mapped_column(String(16), default="stars5")
    quiet_days: Mapped[int] = mapped_column(Integer, default=30)
    low_rating: Mapped[int] = mapped_column(Integer, default=2)
    reopen_on_low: Mapped[bool] = mapped_column(default=False)
    link_days: Mapped[int] = mapped_column(Integer, default=14)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class SurveyState(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its delay after the resolution
    SENT = "sent"
    ANSWERED = "answered"
    SKIPPED = "skipped"  # a rule said no (``skip_reason``)
    CANCELLED = "cancelled"  # the case was reopened before it went out


class Survey(WorkspaceScoped, Base):
    """One survey per resolution cycle of a case (``cycle``: the how-many-th resolution). Attributed when it is
    scheduled to the agent and team who handled the case and the account and network it goes out on."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("case_id", "cycle"),
        Index("ix_surveys_ws_state_send", "workspace_id", "state", "send_at"),
        Index("ix_surveys_ws_answered", "workspace_id", "answered_at"),
        Index("ix_surveys_contact", "contact_id", "sent_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), default=None)
    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="SET NULL"), default=None
    )
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"), default=None)
    network: Mapped[str | None] = mapped_column(String(32), default=None)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    state: Mapped[str] = mapped_column(String(16), default=SurveyState.SCHEDULED)
    skip_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    send_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")
    scale: Mapped[str] = mapped_column(String(16), default="stars5")
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    score: Mapped[int | None] = mapped_column(Integer, default=None)  # 0-100
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_via: Mapped[str | None] = mapped_column(String(16), default=None)  # button | text | link | email
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    comment_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), default=None
    )
    commented_at: Mapped[datetime | None] = mapped_column(default=None)
    #: when the follow-up comment question went out (once, after a rating on the channel)
    comment_asked_at: Mapped[datetime | None] = mapped_column(default=None)


# survey results count surveys by the time they were sent (``surveys.results``; migration h7_surveys_results)
Index("ix_surveys_ws_sent", Survey.workspace_id, Survey.sent_at)
