"""Business actions: what an agent may run from a case on the brand's own system (rebook, refund...), and each run."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class BusinessAction(WorkspaceScoped, Base):
    """An action defined by an admin: an endpoint of the brand's system, the form's JSON Schema, who may run it.

    ``names`` and ``descriptions`` are per language (``{"en": "Rebook", "fr": "Changer de vol"}``). ``secret`` is
    the signing secret, encrypted (:mod:`compris.kit.crypto`, ``{"signing_secret": ...}``); it is shown once, when
    created or rotated. ``prefill`` maps a form field to where its value comes from (``{"record_locator":
    "triage.record_locator", "passenger": "contact.name"}``, see :mod:`compris.business.prefill`). ``roles`` and
    ``team_ids``: a user whose role is listed, or who is a member of a listed team, may run it."""

    __tablename__ = "business_actions"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    key: Mapped[str] = mapped_column(String(40))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    descriptions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    endpoint_url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(Text, default="")
    secret_rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    input_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prefill: Mapped[dict[str, Any]] = mapped_column(default=dict)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    team_ids: Mapped[list[Any]] = mapped_column(default=list)
    timeout_seconds: Mapped[float] = mapped_column(default=10.0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class RunState(enum.StrEnum):
    QUEUED = "queued"  # waiting for the call (first time, or again after a retryable failure)
    RUNNING = "running"  # claimed by a worker, the call is in flight (or its worker died: retried, same key)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # reserved: a run nobody can retry safely (unused while endpoints must dedupe)


FINAL_RUN_STATES = (RunState.SUCCEEDED, RunState.FAILED)


class BusinessActionRun(WorkspaceScoped, Base):
    """One run of an action from a case: the input, its idempotency key (sent on every attempt), the outcome."""

    __tablename__ = "business_action_runs"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_business_action_runs_case_created", "case_id", "created_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    action_id: Mapped[int] = mapped_column(ForeignKey("business_actions.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
