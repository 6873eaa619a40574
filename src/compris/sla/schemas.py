"""API shapes of the SLA: business hours, policies and alert settings.

Bodies for creation list every field (with defaults); bodies for changes (``...Patch``) hold only what changes: a
field left out is unchanged. Business hours are text, one rule a line, as on the admin pages (see
``compris.routing.schemas``).
"""

from __future__ import annotations

from pydantic import Field

from compris.kit.schemas import SHIFTS_HELP, ZONE_HELP, Schema


class BusinessHoursIn(Schema):
    name: str = Field(min_length=1, max_length=100, examples=["Office"])
    timezone: str = Field(default="UTC", max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    hours: str = Field(default="", max_length=5000, description=SHIFTS_HELP, examples=["mon-fri 09:00-17:00"])


class BusinessHoursPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Office"])
    timezone: str | None = Field(default=None, max_length=64, description=ZONE_HELP, examples=["Europe/Paris"])
    hours: str | None = Field(default=None, max_length=5000, description=SHIFTS_HELP,
                              examples=["mon-fri 09:00-17:00"])


class BusinessHoursOut(Schema):
    id: int = Field(examples=[2])
    name: str = Field(examples=["Office"])
    timezone: str = Field(examples=["Europe/Paris"])
    hours: str = Field(description="One rule a line.", examples=["mon-fri 09:00-17:00"])


class BusinessHoursList(Schema):
    items: list[BusinessHoursOut]


class PolicyIn(Schema):
    """Targets in seconds; null: not tracked."""

    name: str = Field(min_length=1, max_length=100, examples=["Complaints on X"])
    position: int = Field(default=0, description="Policies are tried by position, lowest first; the first that "
                          "matches a case sets its targets.", examples=[0])
    networks: list[str] = Field(default_factory=list, description="Empty: any.", examples=[["x"]])
    intents: list[str] = Field(default_factory=list, description="Empty: any.", examples=[["complaint"]])
    channel_account_ids: list[int] = Field(default_factory=list, description="Empty: any.")
    min_priority: int | None = Field(default=None, ge=0, examples=[None])
    first_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[600])
    next_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[None])
    resolution_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[86400])
    warn_before_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, description="How long "
                                            "before a deadline the case is \"at risk\" (default: a fifth of the "
                                            "first-response target).", examples=[120])
    business_hours_id: int | None = Field(default=None, description="Count time in these business hours "
                                          "(null: around the clock).", examples=[None])


class PolicyPatch(Schema):
    """Only the fields given change; null for a target stops tracking it, for the business hours counts time
    around the clock."""

    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Complaints on X"])
    position: int | None = Field(default=None, examples=[0])
    networks: list[str] | None = Field(default=None, examples=[["x"]])
    intents: list[str] | None = Field(default=None, examples=[["complaint"]])
    channel_account_ids: list[int] | None = None
    min_priority: int | None = Field(default=None, ge=0)
    first_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600, examples=[600])
    next_response_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    resolution_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    warn_before_seconds: int | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    business_hours_id: int | None = None
    is_active: bool | None = None


class PolicyOut(Schema):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Complaints on X"])
    position: int
    networks: list[str]
    intents: list[str]
    channel_account_ids: list[int]
    min_priority: int | None
    first_response_seconds: int | None = Field(examples=[600])
    next_response_seconds: int | None = Field(examples=[None])
    resolution_seconds: int | None = Field(examples=[86400])
    warn_before_seconds: int = Field(examples=[120])
    business_hours_id: int | None
    is_active: bool


class PolicyList(Schema):
    items: list[PolicyOut] = Field(description="In the order they are tried.")


class SlaSettingsOut(Schema):
    webhook_url: str = Field(description="Where breach alerts are POSTed (empty: nowhere).",
                             examples=["https://hooks.example.com/sla"])
    alert_at_risk: bool = Field(description="Alert when a case becomes \"at risk\", not only on a breach.")


class SlaSettingsPatch(Schema):
    webhook_url: str | None = Field(default=None, max_length=2000, description="An https:// or http:// URL, or "
                                    "empty for no alerts.", examples=["https://hooks.example.com/sla"])
    alert_at_risk: bool | None = None

