"""In-app notifications, one row per user (issue 18): a mention in an internal note, a case assigned, a partner's
answer, an SLA at risk or breached, a low satisfaction rating; and each user's notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class Notification(WorkspaceScoped, Base):
    """One thing one user should know about, with the case it is about (``message_id``: the note mentioning them).
    ``dedupe_key`` names the occurrence (``mention:<message>``, ``sla_breached:<case>:<metric>:<cycle>``...): the same
    event delivered twice never notifies twice (unique per user)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_created_at", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), default=None,
                                                index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    #: a short excerpt (the note that mentions the user), plain text, escaped wherever it is shown
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    #: small values for the sentence (the partner's name, the rating, the SLA metric)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationPreference(WorkspaceScoped, Base):
    """A user's choices: the kinds they do not want (``muted``: preference groups, see
    ``compris.notifications.kinds``) and whether this user wants browser notifications (off by default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    muted: Mapped[list[Any]] = mapped_column(default=list)
    browser: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
