"""Outgoing webhooks: the workspace's subscriptions (admin) and their deliveries.

The same actions as the admin page (``compris.subscriptions.actions``). Secrets are returned only when created or
rotated; the audit rows never hold them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from compris.models import WebhookDelivery, WebhookSubscription
from compris.subscriptions import actions, catalogue, queries
from compris.subscriptions.schemas import (
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookEventTypeList,
    WebhookEventTypeOut,
    WebhookSecretOut,
    WebhookSubscriptionCreated,
    WebhookSubscriptionIn,
    WebhookSubscriptionList,
    WebhookSubscriptionOut,
    WebhookSubscriptionPatch,
)
from compris.web.api.common import SettingsApi, errors
from compris.web.deps import PageContext

router = APIRouter(tags=["webhooks"])

SubscriptionId = Annotated[int, Path(description="See `GET /webhook-subscriptions`.", examples=[3])]
DeliveryId = Annotated[int, Path(description="See `GET /webhook-subscriptions/{id}/deliveries`.", examples=[42])]
NOT_FOUND = "No such webhook subscription (or delivery) in your workspace."


def subscription_out(ctx: PageContext, row: WebhookSubscription) -> WebhookSubscriptionOut:
    return WebhookSubscriptionOut(
        id=row.id, url=row.url, description=row.description, event_types=[str(t) for t in row.event_types],
        is_active=row.is_active, secret_hint=queries.secret_hint(ctx.runtime.settings.secret_key, row),
        secret_rotated_at=row.secret_rotated_at, consecutive_failures=row.consecutive_failures,
        failed_deliveries=row.failed_deliveries, last_success_at=row.last_success_at,
        last_failure_at=row.last_failure_at, disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,  # type: ignore[arg-type]
        created_at=row.created_at)


def delivery_out(row: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(id=row.id, event_id=row.event_id, event_type=row.event_type,
                       state=row.state,  # type: ignore[arg-type]
                       attempts=row.attempts, last_status=row.last_status, last_error=row.last_error,
                       last_attempt_at=row.last_attempt_at, next_attempt_at=row.next_attempt_at,
                       delivered_at=row.delivered_at, created_at=row.created_at, payload=dict(row.payload))


def _allow_local(ctx: PageContext) -> bool:
    return ctx.runtime.settings.allow_local_http_endpoints


@router.get("/webhook-events", response_model=WebhookEventTypeList, summary="List the webhook event types",
            responses=errors(403))
def list_event_types(ctx: SettingsApi) -> WebhookEventTypeList:
    """Every public event type a subscription can ask for (`docs/webhooks.md` gives their payloads)."""
    return WebhookEventTypeList(items=[WebhookEventTypeOut(type=t, description=catalogue.DESCRIPTIONS[t])
                                       for t in catalogue.TYPES])


@router.get("/webhook-subscriptions", response_model=WebhookSubscriptionList, summary="List webhook subscriptions",
            responses=errors(403))
def list_subscriptions(ctx: SettingsApi) -> WebhookSubscriptionList:
    """Every subscription of the workspace, active or not, oldest first."""
    return WebhookSubscriptionList(items=[subscription_out(ctx, r)
                                   for r in queries.list_subscriptions(ctx.session, ctx.user.workspace_id)])


@router.post("/webhook-subscriptions", status_code=201, response_model=WebhookSubscriptionCreated,
             summary="Create a webhook subscription", responses=errors(403, 422))
def create_subscription(body: WebhookSubscriptionIn, ctx: SettingsApi) -> WebhookSubscriptionCreated:
    """An active subscription. The answer holds its signing secret (`whsec_…`), **shown this once**: every delivery
    carries `Compris-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` made with it. A URL that is not
    https, or an unknown event type, is refused (422)."""
    row, secret = actions.create_subscription(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, secret_key=ctx.runtime.settings.secret_key,
        url=body.url, event_types=body.event_types, description=body.description, allow_local_http=_allow_local(ctx))
    return WebhookSubscriptionCreated(**subscription_out(ctx, row).model_dump(), secret=secret)


@router.get("/webhook-subscriptions/{subscription_id}", response_model=WebhookSubscriptionOut,
            summary="Read a webhook subscription", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def get_subscription(subscription_id: SubscriptionId, ctx: SettingsApi) -> WebhookSubscriptionOut:
    """One subscription: its URL, event types, state and failure counts (never its secret)."""
    return subscription_out(ctx, queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id))


@router.patch("/webhook-subscriptions/{subscription_id}", response_model=WebhookSubscriptionOut,
              summary="Change a webhook subscription", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def update_subscription(subscription_id: SubscriptionId, body: WebhookSubscriptionPatch,
                        ctx: SettingsApi) -> WebhookSubscriptionOut:
    """Change the fields given. `is_active: true` enables a subscription disabled after failures or a 410."""
    row = queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    actions.update_subscription(ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row, url=body.url,
                                event_types=body.event_types, description=body.description,
                                is_active=body.is_active, allow_local_http=_allow_local(ctx))
    return subscription_out(ctx, row)


@router.delete("/webhook-subscriptions/{subscription_id}", status_code=204,
               summary="Delete a webhook subscription", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def delete_subscription(subscription_id: SubscriptionId, ctx: SettingsApi) -> Response:
    """The subscription and its deliveries; pending ones are not sent."""
    row = queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    actions.delete_subscription(ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row)
    return Response(status_code=204)


@router.post("/webhook-subscriptions/{subscription_id}/rotate-secret", response_model=WebhookSecretOut,
             summary="Rotate a subscription's signing secret", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def rotate_secret(subscription_id: SubscriptionId, ctx: SettingsApi) -> WebhookSecretOut:
    """A new secret, shown this once; the old one stops signing at once (retries of earlier events too)."""
    row = queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    return WebhookSecretOut(secret=actions.rotate_secret(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                  secret_key=ctx.runtime.settings.secret_key, subscription=row))


@router.post("/webhook-subscriptions/{subscription_id}/ping", status_code=202, response_model=WebhookDeliveryOut,
             summary="Send a test event", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def ping(subscription_id: SubscriptionId, ctx: SettingsApi) -> WebhookDeliveryOut:
    """Queue a `ping` event to this subscription only (tried once, counted in no failure count); read its
    outcome with `GET …/deliveries`."""
    row = queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    return delivery_out(actions.send_ping(ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row))


@router.get("/webhook-subscriptions/{subscription_id}/deliveries", response_model=WebhookDeliveryList,
            summary="List a subscription's recent deliveries", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def list_deliveries(
    subscription_id: SubscriptionId, ctx: SettingsApi,
    state: Annotated[Literal["pending", "delivered", "failed"] | None,
                     Query(description="Only the deliveries in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 50,
) -> WebhookDeliveryList:
    """The newest deliveries first, each with its state, attempts, last answer and the JSON document sent."""
    row = queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    return WebhookDeliveryList(items=[delivery_out(d) for d in queries.recent_deliveries(
        ctx.session, ctx.user.workspace_id, row.id, state=state, limit=limit)])


@router.post("/webhook-subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             response_model=WebhookDeliveryOut, summary="Send a failed delivery again",
             responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def redeliver(subscription_id: SubscriptionId, delivery_id: DeliveryId, ctx: SettingsApi) -> WebhookDeliveryOut:
    """The same event id and body, from a first attempt again. Only a failed delivery (409 otherwise), of an
    active subscription (409: enable it first)."""
    delivery = queries.get_delivery(ctx.session, ctx.user.workspace_id, subscription_id, delivery_id)
    return delivery_out(actions.redeliver(ctx.session, ctx.runtime.publisher, actor=ctx.user, delivery=delivery))
