"""The inbox's saved views and each agent's read marks (issue 18)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class InboxView(WorkspaceScoped, Base):
    """A named set of inbox filters and a sort, saved by an agent: private (only its owner sees it) or shared with
    the workspace."""

    __tablename__ = "inbox_views"
    __table_args__ = (Index("ix_inbox_views_ws_owner", "workspace_id", "owner_id"),)

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    name: Mapped[str] = mapped_column(String(80))
    shared: Mapped[bool] = mapped_column(default=False)
    #: the inbox's query parameters (``compris.inbox.queries.InboxFilter.params``), sort included
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class ReadMark(WorkspaceScoped, Base):
    """One agent's reading of one case: unread for them when a customer message arrived since ``read_at`` (the
    inbox's listener sets ``unread``), or when they marked it unread. No row: they never opened it."""

    __tablename__ = "read_marks"
    __table_args__ = (UniqueConstraint("user_id", "case_id"), Index("ix_read_marks_case", "case_id"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    unread: Mapped[bool] = mapped_column(default=False)
