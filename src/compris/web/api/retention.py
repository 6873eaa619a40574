"""The workspace's retention periods and the preview of what the next daily run removes (``SettingsApi``)."""

from __future__ import annotations

from fastapi import APIRouter

from compris.kit.errors import Invalid
from compris.privacy import retention_queries as queries
from compris.privacy.actions import retention
from compris.privacy.retention_schemas import (
    DueOut,
    RetentionCounts,
    RetentionPeriods,
    RetentionPolicyOut,
    RetentionPreviewOut,
)
from compris.web.api.common import SettingsApi, errors

router = APIRouter(tags=["retention"])


def _out(ctx: SettingsApi) -> RetentionPolicyOut:
    policy = queries.policy_of(ctx.session, ctx.user.workspace_id)
    periods = queries.Periods.of(policy)
    return RetentionPolicyOut(
        **periods.as_dict(), minimum_days=dict(queries.MINIMUM_DAYS),
        updated_at=policy.updated_at if policy else None, last_run_at=policy.last_run_at if policy else None,
        last_run=RetentionCounts(**{k: int(v) for k, v in (policy.last_run or {}).items() if k in queries.KINDS})
        if policy and policy.last_run_at else None)


@router.get("/retention", response_model=RetentionPolicyOut, summary="Read the retention policy",
            responses=errors(403))
def get_retention(ctx: SettingsApi) -> RetentionPolicyOut:
    """How long the workspace keeps messages, attachments, raw deliveries and audit entries (null: for ever), the
    minimum of each, and the last daily run with what it removed."""
    return _out(ctx)


@router.put("/retention", response_model=RetentionPolicyOut, summary="Replace the retention policy",
            responses=errors(403, 422))
def put_retention(body: RetentionPeriods, ctx: SettingsApi) -> RetentionPolicyOut:
    """Set the four periods (a field left out or null: kept for ever). A period below its minimum
    (`minimum_days`) or above 36,500 days is refused (422, naming the field). The change is recorded in the audit
    log with the periods before and after; the daily run applies it."""
    try:
        retention.save_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user, values=body.model_dump())
    except retention.PeriodInvalid as exc:
        raise Invalid(f"{exc.field}: {exc.message}") from None
    return _out(ctx)


@router.get("/retention/preview", response_model=RetentionPreviewOut,
            summary="Preview what the next retention run removes", responses=errors(403))
def preview_retention(ctx: SettingsApi) -> RetentionPreviewOut:
    """Per kind, how many rows the next run would remove if it ran now and when the oldest was created: computed
    with the very conditions the run uses."""
    shown = queries.preview(ctx.session, ctx.user.workspace_id)
    return RetentionPreviewOut(at=shown.at, items=[DueOut(kind=d.kind, days=d.days, count=d.count, oldest=d.oldest)
                                                   for d in shown.items])
