"""A signed-in browser session, kept on the server so that it can be ended (logout, password change,
deactivation) and time out (idle and absolute)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class UserSession(WorkspaceScoped, Base):
    """One login of a user. The cookie carries the random session id (signed); only its SHA-256 is stored."""

    __tablename__ = "user_sessions"
    __table_args__ = (UniqueConstraint("id_hash"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime]  # updated at most once a minute
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute timeout
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
