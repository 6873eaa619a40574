"""Replies: canned templates, the workspace's tone-of-voice and guard settings, and what the guard saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class TemplatePurpose:
    REPLY = "reply"
    MOVE_TO_PRIVATE = "move_to_private"  # the short public answer posted when moving to private


class ReplyTemplate(WorkspaceScoped, Base):
    """A canned reply with variables (``{first_name}``...) and one body per language (``{"en": ..., "fr": ...}``)."""

    __tablename__ = "reply_templates"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_reply_templates_ws_purpose", "workspace_id", "purpose"),
    )

    name: Mapped[str] = mapped_column(String(200))
    shortcut: Mapped[str] = mapped_column(String(32), default="")
    # free text until teams exist as rows (issue 5); None = every team
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    purpose: Mapped[str] = mapped_column(String(24), default=TemplatePurpose.REPLY)
    bodies: Mapped[dict[str, Any]] = mapped_column(default=dict)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class ReplySettings(WorkspaceScoped, Base):
    """One row per workspace: the tone-of-voice guide, the guard's settings and the promise permissions.

    ``guard`` is the JSON accepted by ``GuardSettings.from_mapping``; ``permissions`` maps a role to the
    promises it may make (``{"agent": [], "supervisor": ["refund", ...]}``).
    """

    __tablename__ = "reply_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    tone_guide: Mapped[str] = mapped_column(Text, default="")
    guard: Mapped[dict[str, Any]] = mapped_column(default=dict)
    permissions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class GuardEvent(WorkspaceScoped, Base):
    """One finding the guard raised when a reply was about to be sent, and whether the agent overrode it.

    ``attempt_key`` is the reply's idempotency key: the same draft sent again after a warning updates its
    rows rather than counting the finding twice.
    """

    __tablename__ = "guard_events"
    __table_args__ = (
        Index("ix_guard_events_ws_created", "workspace_id", "created_at"),
        Index("ix_guard_events_ws_attempt", "workspace_id", "attempt_key"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    rule: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16))
    overridden: Mapped[bool] = mapped_column(default=False)
    attempt_key: Mapped[str | None] = mapped_column(String(100), default=None)
    source: Mapped[str] = mapped_column(String(8), default="ui")  # ui | api
