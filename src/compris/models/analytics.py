"""Analytics rollups (issue 15): pre-aggregated counters and duration histograms, each case's contribution to them,
and the cases waiting to be recomputed. Written only by ``compris.analytics`` (``docs/analytics.md``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base

#: the dimensions of a rollup row, in the order of its unique key (0 / "" mean none: never NULL, so that the
#: unique key matches and ``ON CONFLICT`` adds to the existing row)
DIMENSIONS = ("channel_account_id", "network", "visibility", "team_id", "agent_id", "intent", "sentiment",
              "language", "topic", "policy_id")


class _Rollup:
    """One cell: ``n`` facts of ``metric`` (a counter when ``bucket`` is -1, else the count of durations in that
    histogram bucket) and ``total`` (the sum of their values: seconds, or a survey's score) on one local day."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)  # in the workspace's time zone
    channel_account_id: Mapped[int] = mapped_column(Integer, default=0)
    network: Mapped[str] = mapped_column(String(32), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="")
    team_id: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int] = mapped_column(Integer, default=0)
    intent: Mapped[str] = mapped_column(String(24), default="")
    sentiment: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    topic: Mapped[str] = mapped_column(String(32), default="")
    policy_id: Mapped[int] = mapped_column(Integer, default=0)
    bucket: Mapped[int] = mapped_column(SmallInteger, default=-1)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class AnalyticsDaily(_Rollup, Base):
    """Per local day × dimensions × metric (× histogram bucket): every figure over a period."""

    __tablename__ = "analytics_daily"
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric", "day", *DIMENSIONS, "bucket", name="uq_analytics_daily_key"),
        # an agent with another filter over days outside whole weeks (the weekly sets pair the agent with a filter,
        # the slices do not): that agent's rows only, rather than every row of the period
        Index("ix_analytics_daily_agent", "workspace_id", "agent_id", "metric", "day"),
    )


class AnalyticsHourly(_Rollup, Base):
    """Per local day and hour × dimensions, for the volume only (``msg_in``, ``case_new``): the hour-of-day bars,
    the weekday × hour heatmap and the hourly trend of short periods."""

    __tablename__ = "analytics_hourly"
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric", "day", "hour", *DIMENSIONS, "bucket",
                         name="uq_analytics_hourly_key"),
        Index("ix_analytics_hourly_agent", "workspace_id", "agent_id", "metric", "day"),
    )

    hour: Mapped[int] = mapped_column(SmallInteger)  # 0..23, local
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday, local


class AnalyticsSlice(Base):
    """The same facts as ``analytics_daily``, summed over every dimension but one (``dim``: ``""`` for none, else
    ``network``, ``account``, ``team``, ``agent``, ``intent``, ``language``, and for the volume ``visibility``,
    ``sentiment``, ``topic``; ``value`` its value as text): a figure with at most one filter, or broken down by one
    dimension, reads a few rows per day here. ``hour`` is -1 for a day's row; the volume (``msg_in``, ``case_new``) has
    one per local hour (0..23) beside its day's."""

    __tablename__ = "analytics_slices"
    __table_args__ = (
        # the hour before the day: a value's day rows (hour -1) are one range, its hourly ones 24 (the volume)
        UniqueConstraint("workspace_id", "metric", "dim", "value", "hour", "day", "policy_id", "bucket",
                         name="uq_analytics_slices_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(32))
    dim: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger, default=-1)
    policy_id: Mapped[int] = mapped_column(Integer, default=0)
    bucket: Mapped[int] = mapped_column(SmallInteger, default=-1)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class AnalyticsWeekly(Base):
    """The same facts per week (Monday to Sunday, local days), summed over every dimension but those of a *set*
    (``dim``): ``""`` none; one dimension (``"intent"``, ``value`` its value, as in the slices); a filter dimension
    crossed with a grouping one (``"intent>agent"``: ``value`` the intent, ``grp`` the agent), for the agents' and
    teams' figures and the volume's breakdowns under a filter; or two filter dimensions (``"intent+language"``:
    ``value`` ``"complaint|fr"``; ``"intent+agent"``: ``"complaint|12"``). A figure over a long period reads a row
    per week of its set, and the days outside whole weeks at day grain (``docs/analytics.md``, *Reading*)."""

    __tablename__ = "analytics_weekly"
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric", "dim", "value", "week", "grp", "policy_id", "bucket",
                         name="uq_analytics_weekly_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(32))
    dim: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(130))
    week: Mapped[date] = mapped_column(Date)  # its Monday, in the workspace's time zone
    grp: Mapped[str] = mapped_column(String(64), default="")
    policy_id: Mapped[int] = mapped_column(Integer, default=0)
    bucket: Mapped[int] = mapped_column(SmallInteger, default=-1)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


#: the facts of ``analytics_cases`` that most cases never have, each with a partial index for its drill-down
DRILL_SPARSE = ("unanswered_at", "late_at", "reopened_at", "breached_at", "dissatisfied_at", "escalated_at",
                "escalation_overdue_at")


class AnalyticsCase(Base):
    """One case's contribution to the rollups (``entries``: what was added for it, so that a recompute subtracts
    exactly that before adding the new one) and what the drill-down filters on. ``case_id`` is not a foreign key:
    the row outlives a deleted case until its contribution is taken back."""

    __tablename__ = "analytics_cases"
    __table_args__ = (
        UniqueConstraint("case_id"),
        Index("ix_analytics_cases_ws_opened", "workspace_id", "opened_at"),
        Index("ix_analytics_cases_ws_last_in", "workspace_id", "last_in_at"),
        Index("ix_analytics_cases_ws_first_response", "workspace_id", "first_response_at"),
        Index("ix_analytics_cases_ws_resolved", "workspace_id", "resolved_at"),
        Index("ix_analytics_cases_ws_waiting", "workspace_id", "waiting_since",
              postgresql_where=text("waiting_since IS NOT NULL"), sqlite_where=text("waiting_since IS NOT NULL")),
        # the drill-downs: the facts most cases never have, newest first (a partial index each) ...
        *(Index(f"ix_analytics_cases_ws_{column.removesuffix('_at')}", "workspace_id", column, "case_id",
                postgresql_where=text(f"{column} IS NOT NULL"), sqlite_where=text(f"{column} IS NOT NULL"))
          for column in DRILL_SPARSE),
        # ... and the slowest first response and resolution of a period: walked from the slowest (the period a
        # condition on the index's last column), rather than a sort of every case of a year
        Index("ix_analytics_cases_ws_slowest_response", "workspace_id", "first_response_s", "case_id",
              "first_response_at"),
        Index("ix_analytics_cases_ws_slowest_resolution", "workspace_id", "resolution_s", "case_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(Integer)
    entries: Mapped[list[Any]] = mapped_column(default=list)
    computed_at: Mapped[datetime] = mapped_column(default=now)
    # the case's dimensions (for the drill-down's filters)
    channel_account_id: Mapped[int] = mapped_column(Integer, default=0)
    network: Mapped[str] = mapped_column(String(32), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="")
    team_id: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int] = mapped_column(Integer, default=0)
    intent: Mapped[str] = mapped_column(String(24), default="")
    sentiment: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    # when each kind of fact happened (the drill-down's period; the latest one where a case has several)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    first_in_at: Mapped[datetime | None] = mapped_column(default=None)
    last_in_at: Mapped[datetime | None] = mapped_column(default=None)
    unanswered_at: Mapped[datetime | None] = mapped_column(default=None)  # the earliest unanswered message
    #: the same while the case is new or open (else None): the backlog's oldest waiting, by a partial index
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    late_at: Mapped[datetime | None] = mapped_column(default=None)  # the earliest answered late or not at all
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_s: Mapped[float | None] = mapped_column(Float, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_s: Mapped[float | None] = mapped_column(Float, default=None)
    reopened_at: Mapped[datetime | None] = mapped_column(default=None)
    breached_at: Mapped[datetime | None] = mapped_column(default=None)
    dissatisfied_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    escalation_overdue_at: Mapped[datetime | None] = mapped_column(default=None)


class AnalyticsDirty(Base):
    """A case whose contribution must be recomputed (marked by the listener, taken by the ``analytics.rollup``
    job). Not unique per case: marking is a plain insert that never waits on a lock the job holds (the job takes
    each case once however many rows name it)."""

    __tablename__ = "analytics_dirty"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(Integer)
    marked_at: Mapped[datetime] = mapped_column(default=now)


class AgentOnline(Base):
    """One minute an agent was online (sampled every minute by ``analytics.sample_presence``; unique per agent
    and minute, so a sample taken twice counts once)."""

    __tablename__ = "analytics_agent_online"
    __table_args__ = (
        UniqueConstraint("user_id", "minute"),
        Index("ix_analytics_agent_online_ws_minute", "workspace_id", "minute"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    minute: Mapped[datetime]  # the start of the minute (UTC)


class AgentOnlineDay(Base):
    """The minutes an agent was online per local day (the workspace's time zone): what the reports read, a row per
    agent and day rather than one per minute. Kept with the minutes by ``analytics.sample_presence`` (a minute
    counted here only when its row was new) and recomputed from them by ``compris analytics rebuild``."""

    __tablename__ = "analytics_agent_online_days"
    __table_args__ = (UniqueConstraint("workspace_id", "day", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
