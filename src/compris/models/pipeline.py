from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class RawEventStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    UNPROCESSABLE = "unprocessable"


class RawEvent(WorkspaceScoped, Base):
    """A verified delivery, stored before anything else happens (replay and audit)."""

    __tablename__ = "raw_events"
    __table_args__ = (UniqueConstraint("channel_account_id", "event_key"),)

    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(300))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=RawEventStatus.PENDING, index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(WorkspaceScoped, Base):
    """A durable job, inserted in the same transaction as the data it works on."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_at"),
        UniqueConstraint("dedupe_key"),
    )

    kind: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), default=None)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_at: Mapped[datetime] = mapped_column(default=now)
    locked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


#: the outbox states of a reply not finished: waiting to go, on its way, to be tried again, waiting for a person
#: (uncertain; manual: a network without a reply API, posted by hand)
OUTBOX_OPEN_STATES = ("queued", "sending", "retrying", "uncertain", "manual")
OUTBOX_OPEN_WHERE = "state IN ('queued', 'sending', 'retrying', 'uncertain', 'manual')"


class Outbox(WorkspaceScoped, Base):
    """A reply waiting to be sent, at most once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("message_id"),
        # the replies not finished (monitoring counts them at every scrape): small whatever the history
        Index("ix_outbox_open", "state", postgresql_where=text(OUTBOX_OPEN_WHERE),
              sqlite_where=text(OUTBOX_OPEN_WHERE)),
    )

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
