"""Administration (issue 19): invitations, the tamper-evident audit log, retention, personal-data erasures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class Invitation(WorkspaceScoped, Base):
    """An invitation to join a workspace, sent by e-mail as a signed, expiring link naming this row. Accepting it
    creates the user (they choose their password); revoking it or accepting it once voids the link."""

    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    team_ids: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: a random nonce the link carries: a re-sent invitation gets a new one (the older link stops working)
    nonce: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """One action of a person or of the system, written by the audit listener from the domain event, in the
    event's transaction. ``workspace_id`` is ``None`` for instance-level actions (a workspace created).

    Tamper evidence: a sealing job gives each entry, in order, ``seq`` (1, 2, 3... per workspace) and
    ``hash = sha256(prev_hash + canonical JSON of the entry)``; editing, inserting or deleting a sealed entry
    breaks the chain from there on (``compris audit verify``). Retention deletes the oldest entries and keeps the
    last deleted one's hash as an :class:`AuditAnchor`, where verification starts."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "seq"),
        Index("ix_audit_entries_workspace_at", "workspace_id", "at"),
        Index("ix_audit_entries_unsealed", "workspace_id", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), default=None)
    at: Mapped[datetime] = mapped_column(default=now)
    #: who: a user (kept by id and, in ``actor_label``, by name and e-mail at the time) or nobody (``None``: the
    #: system, a platform, a customer)
    actor_user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    #: how: ``session``, ``token``, ``cli``, ``job``, ``platform``, ``link`` (a partner or survey link), ``system``
    via: Mapped[str] = mapped_column(String(16), default="system")
    #: from where: the client's IP address (web requests only)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    #: which session (first 12 hex of its id hash) or token (``token:<id>``), or the job's id
    ref: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    #: the domain event's class name (``SettingsChanged``, ``ReplyQueued``...)
    event: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64), default="")
    entity_id: Mapped[int | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(64), default="")
    case_id: Mapped[int | None] = mapped_column(default=None, index=True)
    contact_id: Mapped[int | None] = mapped_column(default=None, index=True)
    #: a short English sentence for the page (translated there)
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: the event's fields; for settings ``{"before": {...}, "after": {...}}`` (secrets shown as "•••")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditAnchor(Base):
    """Where a workspace's audit chain starts after retention removed its oldest entries: the last removed
    entry's ``seq`` and ``hash``."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), default=None,
                                                     index=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)


class RetentionPolicy(WorkspaceScoped, Base):
    """How long a workspace keeps each kind of data (days; ``None``: for ever). Applied daily by
    ``privacy.retention``."""

    __tablename__ = "retention_policies"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    messages_days: Mapped[int | None] = mapped_column(default=None)
    attachments_days: Mapped[int | None] = mapped_column(default=None)
    raw_events_days: Mapped[int | None] = mapped_column(default=None)
    audit_days: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    #: what the last run removed: ``{"messages": n, "attachments": n, "raw_events": n, "audit_entries": n}``
    last_run: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Erasure(WorkspaceScoped, Base):
    """The record that a contact's personal data was erased (it holds no personal data itself): who asked, how
    (an admin, the API, a platform's deletion callback), when it was done, and how many rows of each kind."""

    __tablename__ = "erasures"

    #: the contact's id (the row itself is gone or anonymised)
    contact_id: Mapped[int | None] = mapped_column(default=None, index=True)
    #: ``admin``, ``api``, ``meta_deletion_callback``, ``platform_deletion``
    source: Mapped[str] = mapped_column(String(32))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    #: a code the requester can check the status with (Meta's data deletion callback answers it)
    confirmation_code: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``pending``, ``done``, ``nothing_found``
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
