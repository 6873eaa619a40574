"""API shapes (request and response bodies) of the capability: action definitions (admins) and runs (agents).

The signing secret appears in exactly two answers: the creation of an action and the rotation of its secret. It is
stored encrypted and never shown again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

RoleName = Literal["admin", "supervisor", "agent"]
SCHEMA_EXAMPLE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "record_locator": {"type": "string", "title": "Booking reference", "pattern": "^[A-Z0-9]{6}$"},
        "flight_date": {"type": "string", "title": "New date", "format": "date"},
        "cabin": {"type": "string", "enum": ["economy", "business"]},
    },
    "required": ["record_locator", "flight_date"],
}
PREFILL_HELP = ("Where each form field's value comes from: `case.number`, `case.language`, `case.network`, "
                "`contact.name`, `contact.handle`, `contact.email`, `triage.record_locator`, `triage.order_number`, "
                "`triage.phone`, `triage.email`, `triage.amount`.")
ENDPOINT_HELP = ("The brand's HTTPS endpoint, called with a signed POST (docs/escalation.md → Business actions). "
                 "`http://127.0.0.1` / `http://localhost` only with `COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS` or in demo "
                 "mode.")


def _default_roles() -> list[RoleName]:
    return ["supervisor", "admin"]


class Labels(Schema):
    en: str | None = Field(default=None, max_length=1000, examples=["Rebook"])
    fr: str | None = Field(default=None, max_length=1000, examples=["Changer de vol"])


class ActionIn(Schema):
    key: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$",
                     description="What the brand's system and reply permissions know it by (`refund` lets its "
                     "runners promise a refund). Never changes.", examples=["rebook"])
    names: Labels = Field(description="The name agents see, per language (at least one).")
    descriptions: Labels = Field(default_factory=Labels, description="What it does, per language.")
    endpoint_url: str = Field(max_length=1000, description=ENDPOINT_HELP,
                              examples=["https://ops.example.com/compris/rebook"])
    input_schema: dict[str, Any] = Field(description="The form: a JSON Schema of an object whose properties are "
                                         "strings (with enum, pattern, maxLength...), numbers, integers or "
                                         "booleans.", examples=[SCHEMA_EXAMPLE])
    prefill: dict[str, str] = Field(default_factory=dict, description=PREFILL_HELP,
                                    examples=[{"record_locator": "triage.record_locator"}])
    roles: list[RoleName] = Field(default_factory=_default_roles,
                                  description="Roles that may run it.")
    team_ids: list[int] = Field(default_factory=list, description="Members of these teams may run it too.")
    timeout_seconds: float = Field(default=10.0, ge=0.1, le=30.0, description="Each call's timeout.")
    max_attempts: int = Field(default=5, ge=1, le=10, description="Calls before a run fails for good (5xx, "
                              "timeouts and connection errors are retried with the same idempotency key).")
    is_active: bool = True


class ActionPatch(Schema):
    names: Labels | None = None
    descriptions: Labels | None = None
    endpoint_url: str | None = Field(default=None, max_length=1000, description=ENDPOINT_HELP)
    input_schema: dict[str, Any] | None = None
    prefill: dict[str, str] | None = Field(default=None, description=PREFILL_HELP)
    roles: list[RoleName] | None = None
    team_ids: list[int] | None = None
    timeout_seconds: float | None = Field(default=None, ge=0.1, le=30.0)
    max_attempts: int | None = Field(default=None, ge=1, le=10)
    is_active: bool | None = Field(default=None, description="False: deactivated (agents no longer see it).")


class ActionOut(Schema):
    id: int = Field(examples=[3])
    key: str = Field(examples=["rebook"])
    names: dict[str, str]
    descriptions: dict[str, str]
    endpoint_url: str
    input_schema: dict[str, Any]
    prefill: dict[str, str]
    roles: list[str]
    team_ids: list[int]
    timeout_seconds: float
    max_attempts: int
    is_active: bool
    secret_rotated_at: Timestamp | None = None


class ActionWithSecret(ActionOut):
    signing_secret: str = Field(description="The secret the endpoint verifies `Compris-Signature` with. Shown "
                                "only now: copy it to the brand's system.", examples=["cba_3kq..."])


class ActionList(Schema):
    items: list[ActionOut]


class RunOut(Schema):
    id: int = Field(examples=[41])
    case_number: int = Field(examples=[1042])
    action_key: str = Field(examples=["rebook"])
    state: Literal["queued", "running", "succeeded", "failed", "uncertain"]
    input: dict[str, Any]
    result: dict[str, Any] = Field(description="The fields the brand's system returned (succeeded).",
                                   examples=[{"flight": "AF1234", "seat": "14C"}])
    error: str | None = Field(default=None, description="Why it failed (or why the last attempt did).")
    http_status: int | None = None
    attempts: int
    idempotency_key: str = Field(description="Sent as `Idempotency-Key` on every call of this run.")
    requested_by_id: int | None = None
    created_at: Timestamp
    finished_at: Timestamp | None = None


class RunList(Schema):
    items: list[RunOut]


class RunnableOut(Schema):
    """An action the token's user may run on the case, with its form prefilled from the case."""

    key: str
    name: str
    description: str
    input_schema: dict[str, Any]
    prefilled: dict[str, Any] = Field(description="Initial values read from the case (triage, the contact).")


class RunnableList(Schema):
    items: list[RunnableOut]
