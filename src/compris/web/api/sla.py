"""The SLA's settings (admins): business hours, policies, breach alerts.

The same actions as the admin page (``compris.sla.actions``): each change is checked, audited and announced.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from compris.models import BusinessHours, SlaPolicy
from compris.routing import shifts
from compris.sla import actions, queries
from compris.sla.schemas import (
    BusinessHoursIn,
    BusinessHoursList,
    BusinessHoursOut,
    BusinessHoursPatch,
    PolicyIn,
    PolicyList,
    PolicyOut,
    PolicyPatch,
    SlaSettingsOut,
    SlaSettingsPatch,
)
from compris.web.api.common import ManageDeskApi, errors

router = APIRouter(prefix="/sla", tags=["sla"])

HoursId = Annotated[int, Path(description="See `GET /sla/business-hours`.", examples=[2])]
PolicyId = Annotated[int, Path(description="See `GET /sla/policies`.", examples=[3])]
#: API field → the policy's column (targets are seconds on both sides)
POLICY_FIELDS = {"first_response_seconds": "first_response_s", "next_response_seconds": "next_response_s",
                 "resolution_seconds": "resolution_s", "warn_before_seconds": "warn_before_s"}


def _hours(row: BusinessHours) -> BusinessHoursOut:
    return BusinessHoursOut(id=row.id, name=row.name, timezone=row.timezone, hours=shifts.render(row.hours or {}))


def _policy(row: SlaPolicy) -> PolicyOut:
    return PolicyOut(id=row.id, name=row.name, position=row.position, networks=list(row.networks or []),
                     intents=list(row.intents or []), channel_account_ids=list(row.channel_account_ids or []),
                     min_priority=row.min_priority, first_response_seconds=row.first_response_s,
                     next_response_seconds=row.next_response_s, resolution_seconds=row.resolution_s,
                     warn_before_seconds=row.warn_before_s, business_hours_id=row.business_hours_id,
                     is_active=row.is_active)


def _policy_args(values: dict[str, Any]) -> dict[str, Any]:
    return {POLICY_FIELDS.get(key, key): value for key, value in values.items()}


# --- business hours ----------------------------------------------------------------------------------------


@router.get("/business-hours", response_model=BusinessHoursList, summary="List business hours",
            responses=errors(403))
def list_hours(ctx: ManageDeskApi) -> BusinessHoursList:
    """The workspace's business calendars (a policy counts its time in one of them, or around the clock)."""
    return BusinessHoursList(items=[_hours(h) for h in queries.business_hours(ctx.session, ctx.user.workspace_id)])


@router.post("/business-hours", status_code=201, response_model=BusinessHoursOut, summary="Create business hours",
             responses=errors(403, 409, 422))
def create_hours(body: BusinessHoursIn, ctx: ManageDeskApi) -> BusinessHoursOut:
    """A business calendar: weekly hours in a time zone, holidays and exceptions. Names are unique (409)."""
    row = actions.create_business_hours(ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name,
                                        timezone=body.timezone, lines=body.hours)
    return _hours(row)


@router.patch("/business-hours/{hours_id}", response_model=BusinessHoursOut, summary="Change business hours",
              responses=errors(403, 404, 409, 422, not_found="No such business hours in your workspace."))
def update_hours(hours_id: HoursId, body: BusinessHoursPatch, ctx: ManageDeskApi) -> BusinessHoursOut:
    """Change the fields given; the others stay as they are."""
    row = actions.update_business_hours(ctx.session, ctx.runtime.publisher, actor=ctx.user, hours_id=hours_id,
                                        name=body.name, timezone=body.timezone, lines=body.hours)
    return _hours(row)


@router.delete("/business-hours/{hours_id}", status_code=204, summary="Delete business hours",
               responses=errors(403, 404, 409, 422, not_found="No such business hours in your workspace."))
def delete_hours(hours_id: HoursId, ctx: ManageDeskApi) -> Response:
    """Business hours no policy uses. While policies count their time in them, refused (409, naming the
    policies): give those policies other hours, or none (24/7), first."""
    actions.delete_business_hours(ctx.session, ctx.runtime.publisher, actor=ctx.user, hours_id=hours_id)
    return Response(status_code=204)


# --- policies ----------------------------------------------------------------------------------------------


@router.get("/policies", response_model=PolicyList, summary="List SLA policies", responses=errors(403))
def list_policies(ctx: ManageDeskApi) -> PolicyList:
    """The policies in the order they are tried: the first active one matching a case sets its targets."""
    return PolicyList(items=[_policy(p) for p in queries.policies(ctx.session, ctx.user.workspace_id)])


@router.post("/policies", status_code=201, response_model=PolicyOut, summary="Create an SLA policy",
             responses=errors(403, 404, 422, not_found="No such business hours or channel account in your "
                              "workspace."))
def create_policy(body: PolicyIn, ctx: ManageDeskApi) -> PolicyOut:
    """Targets (first response, next response, resolution) for the cases it matches."""
    row = actions.create_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                **_policy_args(body.model_dump()))
    return _policy(row)


@router.patch("/policies/{policy_id}", response_model=PolicyOut, summary="Change an SLA policy",
              responses=errors(403, 404, 422, not_found="No such policy (or business hours, or channel account) "
                               "in your workspace."))
def update_policy(policy_id: PolicyId, body: PolicyPatch, ctx: ManageDeskApi) -> PolicyOut:
    """Change the fields given; null for a target stops tracking it."""
    given = body.model_dump(include=body.model_fields_set)
    row = actions.update_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user, policy_id=policy_id,
                                **_policy_args(given))
    return _policy(row)


@router.delete("/policies/{policy_id}", status_code=204, summary="Delete an SLA policy",
               responses=errors(403, 404, 422, not_found="No such policy in your workspace."))
def delete_policy(policy_id: PolicyId, ctx: ManageDeskApi) -> Response:
    """The policy; cases it matched get another policy (or none) at their next SLA check."""
    actions.delete_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user, policy_id=policy_id)
    return Response(status_code=204)


# --- settings ----------------------------------------------------------------------------------------------


@router.get("/settings", response_model=SlaSettingsOut, summary="Read the SLA alert settings",
            responses=errors(403))
def get_settings(ctx: ManageDeskApi) -> SlaSettingsOut:
    """Where breach alerts go."""
    row = queries.settings(ctx.session, ctx.user.workspace_id)
    return SlaSettingsOut(webhook_url=row.webhook_url if row else "", alert_at_risk=row.alert_at_risk if row else True)


@router.patch("/settings", response_model=SlaSettingsOut, summary="Change the SLA alert settings",
              responses=errors(403, 422))
def update_settings(body: SlaSettingsPatch, ctx: ManageDeskApi) -> SlaSettingsOut:
    """Change the fields given."""
    row = actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user, webhook_url=body.webhook_url,
                                alert_at_risk=body.alert_at_risk)
    return SlaSettingsOut(webhook_url=row.webhook_url, alert_at_risk=row.alert_at_risk)
