"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.crypto import SecretsError, decrypt_json, redact
from compris.kit.errors import NotFound
from compris.models import WebhookDelivery, WebhookSubscription

DELIVERIES_SHOWN = 50


def list_subscriptions(session: Session, workspace_id: int) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.workspace_id == workspace_id)
                                .order_by(WebhookSubscription.id)))


def active_subscriptions(session: Session, workspace_id: int) -> list[WebhookSubscription]:
    """The subscriptions that receive events (one query per event, whatever their number)."""
    return list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.workspace_id == workspace_id,
                                                                  WebhookSubscription.is_active.is_(True))
                                .order_by(WebhookSubscription.id)))


def get_subscription(session: Session, workspace_id: int, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("no such webhook subscription")
    return row


def secret_of(secret_key: str, subscription: WebhookSubscription) -> str:
    """The signing secret in clear (the delivery job only)."""
    return decrypt_json(secret_key, subscription.secret).get("secret", "")


def secret_hint(secret_key: str, subscription: WebhookSubscription) -> str:
    """What an admin sees of the secret: its last four characters."""
    try:
        return redact(secret_of(secret_key, subscription))
    except SecretsError:
        return "••••"


def recent_deliveries(session: Session, workspace_id: int, subscription_id: int, *, state: str | None = None,
                      limit: int = DELIVERIES_SHOWN) -> list[WebhookDelivery]:
    query = (select(WebhookDelivery)
             .where(WebhookDelivery.workspace_id == workspace_id, WebhookDelivery.subscription_id == subscription_id)
             .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit))
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    return list(session.scalars(query))


def get_delivery(session: Session, workspace_id: int, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.workspace_id != workspace_id or row.subscription_id != subscription_id:
        raise NotFound("no such delivery")
    return row
