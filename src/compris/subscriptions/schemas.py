"""API shapes (request and response bodies) of the capability: webhook subscriptions and their deliveries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

EVENT_TYPES_HELP = ("Dotted event type names (`GET /webhook-events` lists them), or `[\"*\"]` for every public "
                    "type, including those added later.")
URL_HELP = ("Where events are POSTed: an `https://` URL (no user name or password in it; no private, loopback or "
            "link-local IP address). `http://127.0.0.1`/`localhost` only with `COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS`.")


class WebhookEventTypeOut(Schema):
    type: str = Field(examples=["escalation.answered"])
    description: str = Field(examples=["The partner answered."])


class WebhookEventTypeList(Schema):
    items: list[WebhookEventTypeOut]


class WebhookSubscriptionIn(Schema):
    url: str = Field(min_length=1, max_length=2000, description=URL_HELP,
                     examples=["https://hooks.brand.example/compris"])
    event_types: list[str] = Field(min_length=1, max_length=50, description=EVENT_TYPES_HELP,
                                   examples=[["escalation.answered", "survey.answered"]])
    description: str = Field(default="", max_length=300, examples=["CRM sync"])


class WebhookSubscriptionPatch(Schema):
    url: str | None = Field(default=None, min_length=1, max_length=2000, description=URL_HELP)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50, description=EVENT_TYPES_HELP)
    description: str | None = Field(default=None, max_length=300)
    is_active: bool | None = Field(default=None, description="False pauses deliveries; true enables a disabled "
                                   "subscription again (and clears its failure count).")


class WebhookSubscriptionOut(Schema):
    id: int = Field(examples=[3])
    url: str = Field(examples=["https://hooks.brand.example/compris"])
    description: str = Field(examples=["CRM sync"])
    event_types: list[str] = Field(examples=[["escalation.answered"]])
    is_active: bool
    secret_hint: str = Field(description="The signing secret's last four characters (it is shown in full only "
                             "when created or rotated).", examples=["••••x9Qa"])
    secret_rotated_at: Timestamp | None = None
    consecutive_failures: int = Field(description="Deliveries failed for good since the last success (the "
                                      "subscription is disabled at 5).", examples=[0])
    failed_deliveries: int = Field(description="Deliveries failed for good, ever.", examples=[2])
    last_success_at: Timestamp | None = None
    last_failure_at: Timestamp | None = None
    disabled_at: Timestamp | None = None
    disabled_reason: Literal["gone", "failures"] | None = Field(
        default=None, description="`gone`: the receiver answered 410; `failures`: too many failed deliveries.")
    created_at: Timestamp


class WebhookSubscriptionCreated(WebhookSubscriptionOut):
    secret: str = Field(description="The signing secret: shown this once, store it now.",
                        examples=["whsec_4mZ0…"])


class WebhookSubscriptionList(Schema):
    items: list[WebhookSubscriptionOut]


class WebhookSecretOut(Schema):
    secret: str = Field(description="The new signing secret: shown this once. Every delivery from now on, "
                        "retries included, is signed with it.", examples=["whsec_4mZ0…"])


class WebhookDeliveryOut(Schema):
    id: int = Field(examples=[42])
    event_id: str = Field(description="The event's id (`Compris-Event-Id`): the same for every attempt.",
                          examples=["5f0c9a4e-3c1b-4a55-9d7e-0c2f7f0b8e11"])
    event_type: str = Field(examples=["escalation.answered"])
    state: Literal["pending", "delivered", "failed"]
    attempts: int = Field(examples=[1])
    last_status: int | None = Field(default=None, description="The receiver's last HTTP status (null: no answer).",
                                    examples=[500])
    last_error: str | None = Field(default=None, examples=["HTTP 500: upstream unavailable"])
    last_attempt_at: Timestamp | None = None
    next_attempt_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    created_at: Timestamp
    payload: dict[str, Any] = Field(description="The JSON document sent (docs/webhooks.md).")


class WebhookDeliveryList(Schema):
    items: list[WebhookDeliveryOut]
