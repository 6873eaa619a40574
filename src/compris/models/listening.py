"""Listening and incidents (issue 16): free tags on cases, alerts (volume spikes, high-reach complaints),
clusters of similar messages, incidents that group many cases, and bulk operations over many cases.

Only columns and constraints here; the behaviour is in :mod:`compris.listening` (alerts, clusters, incidents)
and :mod:`compris.inbox` (tags, bulk operations).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped

# --- tags ------------------------------------------------------------------------------------------------------


class Tag(WorkspaceScoped, Base):
    """A free tag of the workspace. ``key`` is the normalised name (case- and accent-folded, spaces collapsed):
    "Colis perdu" and "colis  PERDU" are one tag."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    color: Mapped[str | None] = mapped_column(String(16), default=None)


class CaseTag(WorkspaceScoped, Base):
    __tablename__ = "case_tags"
    __table_args__ = (
        UniqueConstraint("case_id", "tag_id"),
        Index("ix_case_tags_ws_tag_case", "workspace_id", "tag_id", "case_id"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


# --- alerts ----------------------------------------------------------------------------------------------------


class AlertKind(enum.StrEnum):
    SPIKE = "spike"  # volume above its usual level for that hour of the week
    REACH = "reach"  # a complaint whose reach crosses the workspace's threshold
    CLUSTER = "cluster"  # a cluster of similar messages grew past its threshold


class Alert(WorkspaceScoped, Base):
    """One alert, raised once: ``key`` names what it is about (``spike:account:12:2026-12-06T10``,
    ``reach:case:55``) and the unique constraint makes a second raise a no-op."""

    __tablename__ = "listening_alerts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_listening_alerts_ws_created", "workspace_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    #: why it was raised, as ``[{"code": ..., "params": {...}}]`` (translated when shown)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    #: what was measured: scope, observed, expected, window, threshold...
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True, default=None)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("listening_clusters.id", ondelete="SET NULL"), default=None)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), default=None)
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)


# --- clusters --------------------------------------------------------------------------------------------------


class Cluster(WorkspaceScoped, Base):
    """Messages of different customers about the same subject. ``centroid`` is the running mean of the members'
    embeddings (a list of floats); ``open`` clusters take new members until ``last_message_at`` is old."""

    __tablename__ = "listening_clusters"
    __table_args__ = (Index("ix_listening_clusters_ws_open_last", "workspace_id", "open", "last_message_at"),)

    label: Mapped[str] = mapped_column(String(300), default="")
    open: Mapped[bool] = mapped_column(default=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    centroid: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"fr": 12, "en": 3}
    networks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    first_message_at: Mapped[datetime | None] = mapped_column(default=None)
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), default=None)
    #: the running mean of the members' cheap signatures (stem -> weight, the heaviest terms only)
    signature: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: how many members have an e5 vector in ``centroid`` (members placed by their signature alone have none)
    vector_count: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class ClusterItemState(enum.StrEnum):
    PENDING = "pending"  # waiting for the clustering job
    LOOSE = "loose"  # in no cluster (yet): may seed one with a later message of another case
    MEMBER = "member"  # in a cluster (its ClusterMember row)
    SKIPPED = "skipped"  # nothing to compare (no content word), or deleted meanwhile


class ClusterItem(WorkspaceScoped, Base):
    """A customer message on its way through clustering: marked ``pending`` in the inbound transaction (one
    insert), placed by the background job. Keeps the signature and the centred e5 vector (float16 bytes) of loose
    messages so that a later message can seed a cluster with them."""

    __tablename__ = "listening_cluster_items"
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index("ix_listening_cluster_items_ws_state", "workspace_id", "state", "id"),
    )

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=ClusterItemState.PENDING)
    received_at: Mapped[datetime] = mapped_column()
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    network: Mapped[str | None] = mapped_column(String(32), default=None)
    signature: Mapped[dict[str, Any]] = mapped_column(default=dict)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class ClusterMember(WorkspaceScoped, Base):
    __tablename__ = "listening_cluster_members"
    __table_args__ = (UniqueConstraint("message_id"), Index("ix_listening_cluster_members_cluster", "cluster_id"))

    cluster_id: Mapped[int] = mapped_column(ForeignKey("listening_clusters.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)


# --- incidents -------------------------------------------------------------------------------------------------


class IncidentStatus(enum.StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RESOLVED = "resolved"


class Incident(WorkspaceScoped, Base):
    """Many cases about one event. ``statements``: the holding statement per language
    (``{"fr": "...", "en": "..."}``, template text with variables); ``closing``: the same for the message sent
    when the incident resolves. While ``crisis``, linked cases get ``crisis_priority`` added and
    ``crisis_sla_policy_id`` applied."""

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("workspace_id", "number"), Index("ix_incidents_ws_status", "workspace_id",
                                                                        "status"))

    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.SUSPECTED)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual, spike, cluster
    #: what links new cases automatically while the incident is open: {"cluster_ids": [...], "keywords": [...],
    #: "channel_account_ids": [...], "intents": [...]}
    match: Mapped[dict[str, Any]] = mapped_column(default=dict)
    statements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    closing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crisis: Mapped[bool] = mapped_column(default=False)
    crisis_priority: Mapped[int] = mapped_column(Integer, default=0)
    crisis_sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None)
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class IncidentCase(WorkspaceScoped, Base):
    __tablename__ = "incident_cases"
    __table_args__ = (UniqueConstraint("incident_id", "case_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str] = mapped_column(String(16), default="manual")  # manual, auto, cluster, spike
    linked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


# --- bulk operations -------------------------------------------------------------------------------------------


class BulkRun(WorkspaceScoped, Base):
    """One bulk operation over many cases (assign, transfer, tag, status, resolve, reply with a template, an
    incident's holding statement). Its items make it exactly-once per case: a reply's outbox idempotency key is
    ``bulk:<run id>:<case id>``, and a run retried after a crash skips the items already done."""

    __tablename__ = "bulk_runs"

    kind: Mapped[str] = mapped_column(String(24))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), default=None)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running, done
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class BulkItem(WorkspaceScoped, Base):
    __tablename__ = "bulk_items"
    __table_args__ = (UniqueConstraint("run_id", "case_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("bulk_runs.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done, skipped, failed
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
