"""Every write of the capability: subscriptions (admin, audited through :func:`compris.audit.record`, never with a
secret), the deliveries the listener and "send a test event" queue, and what each delivery attempt records."""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from compris import audit
from compris.kit.clock import now
from compris.kit.crypto import encrypt_json
from compris.kit.errors import Conflict, Invalid
from compris.live import Publisher
from compris.models import User, WebhookDelivery, WebhookDeliveryState, WebhookSubscription
from compris.subscriptions import catalogue, payloads, policy
from compris.subscriptions.queries import secret_of
from compris.worker.queue import enqueue

DELIVER_JOB = "subscriptions.deliver"
ENTITY = "webhook_subscription"
URL_MAX = 2000
DESCRIPTION_MAX = 300
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


# --- validation --------------------------------------------------------------------------------------------


def check_url(url: str, *, allow_local_http: bool = False) -> str:
    """An https:// URL of a public host (no credentials in it); with ``allow_local_http`` (the setting
    ``COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS``), also http:// to 127.0.0.1, [::1] or localhost."""
    url = url.strip()
    if not url:
        raise Invalid("the URL is required")
    if len(url) > URL_MAX:
        raise Invalid.of("the URL has at most %(n)s characters", n=URL_MAX)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise Invalid("the URL is not valid") from None
    if parts.scheme not in ("https", "http"):
        raise Invalid("the URL must start with https://")
    if any(c.isspace() for c in url) or not host:
        raise Invalid("the URL is not valid")
    if parts.username is not None or parts.password is not None:
        raise Invalid("the URL may not contain a user name or password (use the signature to authenticate)")
    local = host in LOCAL_HOSTS
    if parts.scheme == "http" and local and allow_local_http:
        return url
    if parts.scheme != "https":
        raise Invalid("the URL must start with https://")
    if local and not allow_local_http:
        raise Invalid("the URL may not name this machine")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not address.is_global and not (allow_local_http and address.is_loopback):
        raise Invalid("the URL may not name a private, loopback or link-local address")
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    """The list as stored: known names only, each once, sorted; ``*`` alone when it is there."""
    wanted = {str(t).strip() for t in event_types if str(t).strip()}
    if not wanted:
        raise Invalid("choose at least one event type (or * for all)")
    if catalogue.ALL in wanted:
        return [catalogue.ALL]
    unknown = sorted(wanted - set(catalogue.TYPES))
    if unknown:
        raise Invalid.of("unknown event type: %(name)s", name=", ".join(unknown))
    return sorted(wanted)


def _description(text: str) -> str:
    text = text.strip()
    if len(text) > DESCRIPTION_MAX:
        raise Invalid.of("the description has at most %(n)s characters", n=DESCRIPTION_MAX)
    return text


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# --- subscriptions (admin) ---------------------------------------------------------------------------------


def create_subscription(session: Session, publisher: Publisher | None, *, actor: User, secret_key: str, url: str,
                        event_types: Iterable[str], description: str = "",
                        allow_local_http: bool = False) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its signing secret (returned once, stored encrypted)."""
    secret = new_secret()
    row = WebhookSubscription(workspace_id=actor.workspace_id, url=check_url(url, allow_local_http=allow_local_http),
                              event_types=check_event_types(event_types), description=_description(description),
                              secret=encrypt_json(secret_key, {"secret": secret}), created_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="created", entity_id=row.id, changes=("url", "event_types", "description", "secret"))
    return row, secret


def update_subscription(session: Session, publisher: Publisher | None, *, actor: User,
                        subscription: WebhookSubscription, url: str | None = None,
                        event_types: Iterable[str] | None = None, description: str | None = None,
                        is_active: bool | None = None, allow_local_http: bool = False) -> WebhookSubscription:
    """Change what is given. Enabling a disabled subscription clears its failure count."""
    changes: list[str] = []
    if url is not None:
        checked = check_url(url, allow_local_http=allow_local_http)
        if checked != subscription.url:
            subscription.url = checked
            changes.append("url")
    if event_types is not None:
        types = check_event_types(event_types)
        if types != list(subscription.event_types):
            subscription.event_types = types
            changes.append("event_types")
    if description is not None:
        text = _description(description)
        if text != subscription.description:
            subscription.description = text
            changes.append("description")
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        changes.append("is_active")
        if is_active:
            subscription.disabled_at = None
            subscription.disabled_reason = None
            subscription.consecutive_failures = 0
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="updated", entity_id=subscription.id, changes=changes)
    return subscription


def delete_subscription(session: Session, publisher: Publisher | None, *, actor: User,
                        subscription: WebhookSubscription) -> None:
    """The subscription and its deliveries (pending ones are not sent)."""
    subscription_id = subscription.id
    session.delete(subscription)
    session.flush()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="deleted", entity_id=subscription_id)


def rotate_secret(session: Session, publisher: Publisher | None, *, actor: User, secret_key: str,
                  subscription: WebhookSubscription) -> str:
    """A new signing secret, returned once; every delivery from now on (retries too) is signed with it."""
    secret = new_secret()
    subscription.secret = encrypt_json(secret_key, {"secret": secret})
    subscription.secret_rotated_at = now()
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="secret_rotated", entity_id=subscription.id, changes=("secret",))
    return secret


def send_ping(session: Session, publisher: Publisher, *, actor: User,
              subscription: WebhookSubscription) -> WebhookDelivery:
    """A test event (type ``ping``) to this subscription only, tried once, even when it is disabled."""
    event_id = str(uuid.uuid4())
    delivery = queue_delivery(session, publisher, subscription, event_id=event_id, event_type=catalogue.PING,
                              payload=payloads.ping(session, subscription.workspace_id, event_id, subscription.id))
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="tested", entity_id=subscription.id)
    return delivery


def redeliver(session: Session, publisher: Publisher, *, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Try a failed delivery again, from its first attempt, with the same event id and body."""
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if delivery.state != WebhookDeliveryState.FAILED:
        raise Conflict("only a failed delivery can be sent again")
    if subscription is None or (not subscription.is_active and delivery.event_type != catalogue.PING):
        raise Conflict("enable the subscription first")
    delivery.state = WebhookDeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now()
    _enqueue(session, publisher, delivery)
    audit.record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity=ENTITY,
                 action="redelivered", entity_id=delivery.subscription_id)
    return delivery


# --- deliveries ------------------------------------------------------------------------------------------------


def queue_delivery(session: Session, publisher: Publisher, subscription: WebhookSubscription, *, event_id: str,
                   event_type: str, payload: dict[str, Any]) -> WebhookDelivery:
    """A pending delivery and its job, in the caller's transaction (rolled back with it, committed with it)."""
    delivery = WebhookDelivery(workspace_id=subscription.workspace_id, subscription_id=subscription.id,
                               event_id=event_id, event_type=event_type, payload=payload, next_attempt_at=now())
    session.add(delivery)
    session.flush()
    _enqueue(session, publisher, delivery)
    return delivery


def _enqueue(session: Session, publisher: Publisher, delivery: WebhookDelivery) -> None:
    enqueue(session, publisher, workspace_id=delivery.workspace_id, kind=DELIVER_JOB,
            payload={"delivery_id": delivery.id}, max_attempts=policy.MAX_ATTEMPTS)


@dataclass(frozen=True)
class Attempt:
    """One POST to make, prepared in a transaction and made outside any."""

    delivery_id: int
    url: str
    secret: str
    body: bytes
    event_id: str
    event_type: str
    attempt: int


def start_attempt(session: Session, *, workspace_id: int, delivery_id: int, secret_key: str) -> Attempt | None:
    """Count an attempt of a pending delivery and return what to send; None when there is nothing to send (already
    delivered or failed, deleted, or its subscription disabled: then the delivery fails with that reason)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.workspace_id != workspace_id or delivery.state != WebhookDeliveryState.PENDING:
        return None
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None:
        return None
    if not subscription.is_active and delivery.event_type != catalogue.PING:
        delivery.state = WebhookDeliveryState.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = "the subscription is disabled"
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = now()
    return Attempt(delivery.id, subscription.url, secret_of(secret_key, subscription),
                   payloads.body(delivery.payload), delivery.event_id, delivery.event_type, delivery.attempts)


def finish_attempt(session: Session, publisher: Publisher, *, workspace_id: int, delivery_id: int,
                   status: int | None, error: str | None) -> float | None:
    """Record an attempt's answer (``status`` None: no answer, ``error`` says why). Returns the seconds until the
    next attempt, or None when the delivery is settled (delivered, or failed for good)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.workspace_id != workspace_id:
        return None
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None:
        return None
    at = now()
    ping = delivery.event_type == catalogue.PING
    delivery.last_status = status
    if policy.is_success(status):
        delivery.state = WebhookDeliveryState.DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = None
        delivery.last_error = None
        subscription.last_success_at = at
        if not ping:
            subscription.consecutive_failures = 0
        return None
    delivery.last_error = (error or f"HTTP {status}")[:policy.ERROR_MAX]
    subscription.last_failure_at = at
    if policy.gone(status):
        delivery.state = WebhookDeliveryState.FAILED
        delivery.next_attempt_at = None
        disable(session, publisher, subscription, reason="gone")
        return None
    delay = None if ping or not subscription.is_active else policy.retry_delay(delivery.attempts)
    if delay is not None:
        delivery.next_attempt_at = at + timedelta(seconds=delay)
        return delay
    delivery.state = WebhookDeliveryState.FAILED
    delivery.next_attempt_at = None
    if not ping:
        subscription.failed_deliveries += 1
        subscription.consecutive_failures += 1
        if subscription.consecutive_failures >= policy.DISABLE_AFTER:
            disable(session, publisher, subscription, reason="failures")
    return None


def disable(session: Session, publisher: Publisher | None, subscription: WebhookSubscription, *, reason: str) -> None:
    """Stop sending to a receiver (410 Gone, or too many failed deliveries in a row): an audit row by nobody."""
    if not subscription.is_active:
        return
    subscription.is_active = False
    subscription.disabled_at = now()
    subscription.disabled_reason = reason
    audit.record(session, publisher, workspace_id=subscription.workspace_id, actor_user_id=None, entity=ENTITY,
                 action=f"disabled_{reason}", entity_id=subscription.id, changes=("is_active",))
