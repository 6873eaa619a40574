"""SLA policies and business calendars as configured, breaches as recorded, expected-wait publications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class BusinessHours(WorkspaceScoped, Base):
    """A business calendar: weekly hours in a time zone, holidays and exceptions (same shape as ``Team.shifts``)."""

    __tablename__ = "business_hours"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SlaPolicy(WorkspaceScoped, Base):
    """Targets in seconds (``None`` = not tracked), chosen for a case by channel × intent × priority.

    ``business_hours_id`` ``None`` means calendar time (24/7). The first active policy by position that
    matches wins; empty ``networks``/``channel_account_ids``/``intents`` match anything.
    """

    __tablename__ = "sla_policies"

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    networks: Mapped[list[Any]] = mapped_column(default=list)
    channel_account_ids: Mapped[list[Any]] = mapped_column(default=list)
    intents: Mapped[list[Any]] = mapped_column(default=list)
    min_priority: Mapped[int | None] = mapped_column(Integer, default=None)
    first_response_s: Mapped[int | None] = mapped_column(Integer, default=None)
    next_response_s: Mapped[int | None] = mapped_column(Integer, default=None)
    resolution_s: Mapped[int | None] = mapped_column(Integer, default=None)
    warn_before_s: Mapped[int] = mapped_column(Integer, default=0)
    business_hours_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_hours.id", ondelete="SET NULL"), default=None
    )
    is_active: Mapped[bool] = mapped_column(default=True)


class SlaBreach(WorkspaceScoped, Base):
    """One missed target: unique per (case, metric, cycle), so it is recorded exactly once."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("case_id", "metric", "cycle"),
        Index("ix_sla_breaches_ws_breached", "workspace_id", "breached_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(24))
    cycle: Mapped[int] = mapped_column(Integer)
    breached_at: Mapped[datetime]
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None)


class SlaSettings(WorkspaceScoped, Base):
    """Workspace-wide SLA settings: where breach alerts go."""

    __tablename__ = "sla_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    webhook_url: Mapped[str] = mapped_column(Text, default="")
    alert_at_risk: Mapped[bool] = mapped_column(default=True)


class WaitPublication(WorkspaceScoped, Base):
    """The published expected wait of one channel account (a non-guessable public id, never the row id)."""

    __tablename__ = "wait_publications"
    __table_args__ = (UniqueConstraint("channel_account_id"), UniqueConstraint("public_id"))

    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    public_id: Mapped[str] = mapped_column(String(40))
    auto_ack: Mapped[bool] = mapped_column(default=False)


class WaitPrediction(WorkspaceScoped, Base):
    """The expected wait announced when a case (re)opened, and the first response actually given."""

    __tablename__ = "wait_predictions"
    __table_args__ = (
        Index("ix_wait_predictions_case", "case_id", "actual_s"),
        Index("ix_wait_predictions_ws_created", "workspace_id", "created_at", "id",  # the error report's rows (o4)
              postgresql_include=["predicted_s", "actual_s"]),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    channel_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="SET NULL"), default=None
    )
    predicted_s: Mapped[int] = mapped_column(Integer)
    actual_s: Mapped[int | None] = mapped_column(Integer, default=None)
