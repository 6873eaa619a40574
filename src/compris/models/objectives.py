"""Objectives a supervisor sets for the team (issue 15): "first response within 1 h for 90% of complaints",
"response rate at least 80%", "CSAT at least 85%"... The Reports page shows each against the actual figure of the
period being looked at. Only columns here; the behaviour is in :mod:`compris.analytics.objectives`."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class ObjectiveMetric(enum.StrEnum):
    """What an objective measures. Shares (``*_within``, rates, CSAT) are percentages 0–100, higher is better; times
    (``*_median``, ``*_p90``) are seconds, lower is better."""

    FIRST_RESPONSE_WITHIN = "first_response_within"  # share of first responses within ``threshold_seconds``
    RESPONSE_RATE = "response_rate"  # share of customer messages needing a response that got one
    ANSWERED_WITHIN = "answered_within"  # share of them answered within the target (1 h by default)
    SLA_ATTAINMENT = "sla_attainment"  # share of SLA clocks met
    CSAT = "csat"  # share of survey answers that are satisfied
    FIRST_RESPONSE_MEDIAN = "first_response_median"
    FIRST_RESPONSE_P90 = "first_response_p90"
    RESOLUTION_MEDIAN = "resolution_median"


class Objective(WorkspaceScoped, Base):
    """One objective: ``metric`` against ``target`` (a percentage for shares, seconds for times), over the cases
    matching the optional ``intent`` / ``network`` filters, measured on the ``clock`` (business or calendar
    hours). ``threshold_seconds`` is the time limit of a ``*_within`` objective."""

    __tablename__ = "analytics_objectives"
    __table_args__ = (Index("ix_analytics_objectives_ws_position", "workspace_id", "position"),)

    name: Mapped[str] = mapped_column(String(120), default="")
    metric: Mapped[str] = mapped_column(String(32))
    target: Mapped[float] = mapped_column(Float)
    threshold_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    intent: Mapped[str | None] = mapped_column(String(32), default=None)
    network: Mapped[str | None] = mapped_column(String(32), default=None)
    clock: Mapped[str] = mapped_column(String(16), default="business")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
