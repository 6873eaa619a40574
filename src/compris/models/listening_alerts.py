"""Listening alerts (issue 16, spikes and high reach): the volume counters the spike detector reads, and each
workspace's alert settings. The behaviour is in :mod:`compris.listening.spikes` and :mod:`compris.listening.reach`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class ListeningCount(Base):
    """How many customer messages arrived in one 15-minute bucket, for one scope of one workspace.

    ``scope`` is ``all``, ``account:<id>``, ``network:<name>``, ``intent:<label>``, ``topic:<label>`` or
    ``kw:<term>``. A counter is split over a few ``shard`` rows (by message id) so that concurrent ingestion
    transactions on PostgreSQL rarely wait for one another's row lock; readers add the shards up. Rows older than
    the baseline's weeks are purged."""

    __tablename__ = "listening_counts"
    __table_args__ = (Index("ix_listening_counts_bucket_ws", "bucket_start", "workspace_id"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SpikeSensitivity:
    """How surprising a count must be to be a spike (the tail probability under the baseline's distribution)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class ListeningSettings(WorkspaceScoped, Base):
    """A workspace's alert settings (one row at most; none: the defaults)."""

    __tablename__ = "listening_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    spikes_enabled: Mapped[bool] = mapped_column(default=True)
    spike_sensitivity: Mapped[str] = mapped_column(String(16), default=SpikeSensitivity.NORMAL)
    #: a window with fewer messages than this is never a spike (quiet accounts do not alarm)
    spike_min_count: Mapped[int] = mapped_column(Integer, default=10)
    reach_enabled: Mapped[bool] = mapped_column(default=True)
    #: a complaint from an account with at least this many followers (0: followers never count)
    reach_min_followers: Mapped[int] = mapped_column(Integer, default=10000)
    reach_verified: Mapped[bool] = mapped_column(default=True)
    reach_promoted: Mapped[bool] = mapped_column(default=True)
    #: reshares per hour since the post was published (0: reshares never count)
    reach_reshares_per_hour: Mapped[int] = mapped_column(Integer, default=20)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
