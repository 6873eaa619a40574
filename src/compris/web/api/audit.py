"""The audit log (who may view it: ``VIEW_AUDIT``): the entries with the page's filters, and the hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from compris.auditlog import actions, queries
from compris.auditlog.schemas import AuditEntryOut, AuditList, ChainOut, Via
from compris.web.api.common import AuditApi, errors

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditList, summary="The audit log", responses=errors(403, 422))
def list_entries(
    ctx: AuditApi,
    q: Annotated[str | None, Query(max_length=200, description="Text in the summary, the person, the entity or "
                                   "the event.")] = None,
    actor: Annotated[int | None, Query(ge=1, description="Only this user's actions.")] = None,
    event: Annotated[str | None, Query(max_length=64, examples=["SettingsChanged"])] = None,
    entity: Annotated[str | None, Query(max_length=64, examples=["routing_rule"])] = None,
    via: Annotated[Via | None, Query(description="How the action was done.")] = None,
    ip: Annotated[str | None, Query(max_length=64, description="An address, or its beginning.")] = None,
    case_id: Annotated[int | None, Query(ge=1)] = None,
    contact_id: Annotated[int | None, Query(ge=1)] = None,
    from_: Annotated[str | None, Query(alias="from", description="From this day (YYYY-MM-DD, the workspace's time "
                                       "zone), included.", examples=["2026-11-01"])] = None,
    to: Annotated[str | None, Query(description="To this day, included.", examples=["2026-11-30"])] = None,
    before: Annotated[int | None, Query(ge=1, description="Entries older than this id (the next page).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = queries.PAGE_SIZE,
) -> AuditList:
    """Newest first. A bad date answers 422 with the reason."""
    raw = {"q": q, "actor": actor, "event": event, "entity": entity, "via": via, "ip": ip, "case_id": case_id,
           "contact_id": contact_id, "from": from_, "to": to}
    filters = queries.parse_filters({k: str(v) for k, v in raw.items() if v is not None})
    rows = queries.entries(ctx.session, ctx.user.workspace_id, filters, before_id=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditList(items=[AuditEntryOut.model_validate(queries.as_dict(e) | {"at": e.at}) for e in rows],
                     next_before=rows[-1].id if more and rows else None)


@router.get("/chain", response_model=ChainOut, summary="Verify the audit hash chain", responses=errors(403))
def verify_chain(ctx: AuditApi) -> ChainOut:
    """Recomputes the workspace's chain now (sealed entries only; new entries are sealed within seconds)."""
    result = actions.verify(ctx.session, ctx.user.workspace_id)
    return ChainOut(ok=result.ok, checked=result.checked, verified_to=result.verified_to,
                    anchor_seq=result.anchor_seq, broken_seq=result.broken_seq,
                    reason=result.reason)  # type: ignore[arg-type]
