"""Outgoing webhooks: a workspace's subscriptions (where to POST which events, signed with their own secret) and
every delivery of an event to one of them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class WebhookSubscription(WorkspaceScoped, Base):
    """One receiver of a brand's systems. ``secret`` is Fernet-encrypted JSON (``{"secret": "whsec_..."}``, see
    :mod:`compris.kit.crypto`): Compris generates it, shows it once, signs every delivery with it.
    ``event_types``: the dotted names it wants (``["escalation.answered", ...]``, or ``["*"]`` for every public
    one). ``consecutive_failures`` counts the deliveries that failed for good since the last one that succeeded;
    at ``subscriptions.tasks.DISABLE_AFTER`` the subscription is disabled (``disabled_at``, ``disabled_reason``
    ``failures``), as it is at once when the receiver answers 410 Gone (``gone``)."""

    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(300), default="")
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(Text)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failed_deliveries: Mapped[int] = mapped_column(Integer, default=0)  # ever (failed for good)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(16), default=None)  # gone | failures
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class WebhookDeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(WorkspaceScoped, Base):
    """One event for one subscription. ``event_id`` (a UUID) is the event's, the same for every subscription and
    every attempt (receivers de-duplicate on it); ``payload`` is the JSON sent, written once when the event
    happened (every attempt sends the same bytes: :func:`compris.subscriptions.payloads.body`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_sub_created", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default=WebhookDeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
