from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class Workspace(Base):
    """One brand (tenant). Its own id is its ``workspace_id``."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    case_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)

    @property
    def workspace_id(self) -> int:
        return self.id


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    ANALYST = "analyst"  # read-only: sees the inbox and the reports, changes nothing


class User(WorkspaceScoped, Base):
    __tablename__ = "users"
    # a unique index, not a constraint: SQLite adds an index without copying the table (a copy of ``users`` would
    # fire the ON DELETE actions of every table referring to it)
    __table_args__ = (Index("uq_users_oidc_issuer_oidc_subject", "oidc_issuer", "oidc_subject", unique=True),)

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    #: signs replies (the ``{agent_signature}`` template variable); the user edits it on their profile
    signature: Mapped[str] = mapped_column(String(500), default="")
    #: may create workspaces and their first admin (``compris grant-instance-admin``); any workspace's user may be one
    instance_admin: Mapped[bool] = mapped_column(default=False)
    #: single sign-on: the OpenID Connect issuer and subject this user signed in with (``None``: never)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    #: when the password last changed: a password-reset link made before it is void
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiToken(WorkspaceScoped, Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: space-separated scopes among ``read``, ``write``, ``admin`` (``admin`` implies ``write``, ``write`` ``read``)
    scopes: Mapped[str] = mapped_column(String(64), default="read write")
    #: ``None``: never expires
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginAttempt(Base):
    """Failed logins, for rate limiting (kept short; purged by the worker)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, default=None
    )
    key: Mapped[str] = mapped_column(String(300), index=True)  # "email:<addr>" or "ip:<addr>"
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
