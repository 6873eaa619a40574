"""``/admin/audit``: the audit log (who did what, when, from where), searchable, newest first, each entry's
before/after, the hash chain's state (verified on demand), and the filtered entries exported as CSV or JSON Lines
(streamed). The filters live in the URL (a GET form); bad filters answer 422 with the message (never a 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from gettext import NullTranslations
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from compris.auditlog import actions, describe, queries
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.kit.origin import VIA
from compris.models import AuditEntry
from compris.web import i18n
from compris.web.deps import AuditPage, PageContext, get_runtime
from compris.web.pages.render import redirect, render

router = APIRouter(include_in_schema=False)

VIA_LABELS = {
    "session": "Signed-in browser",
    "token": "API token",
    "cli": "Command line",
    "job": "Background job",
    "platform": "Platform",
    "link": "Signed link",
    "system": "System",
}


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


def summary(t: NullTranslations, e: AuditEntry) -> str:
    """The entry's sentence in the reader's language."""
    msgid, params = describe.phrase(e.event, e.entity, e.entity_id, e.action, dict(e.data or {}))
    values = {k: t.gettext(str(v)) if k in describe.TRANSLATED else v for k, v in params.items()}
    try:
        return t.gettext(msgid) % values
    except (KeyError, TypeError, ValueError):
        return e.summary


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def diff(e: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) of a settings change."""
    data = e.data or {}
    before, after = data.get("before"), data.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    keys = sorted(set(before) | set(after))
    return [(k, _shown(before.get(k)) if k in before else "—", _shown(after.get(k)) if k in after else "—")
            for k in keys]


def details(e: AuditEntry) -> list[tuple[str, str]]:
    """The event's other fields."""
    return [(k, _shown(v)) for k, v in sorted((e.data or {}).items()) if k not in ("before", "after")]


def _page(request: Request, ctx: PageContext, raw: dict[str, str], *, filters: queries.Filters | None,
          error: str | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    t = i18n.translations(ctx.user.language)
    rows: list[AuditEntry] = []
    more = False
    if filters is not None:
        before = raw.get("before", "")
        before_id = int(before) if before.isdigit() and len(before) < 18 else None
        rows = queries.entries(ctx.session, ws, filters, before_id=before_id, limit=queries.PAGE_SIZE + 1)
        more = len(rows) > queries.PAGE_SIZE
        rows = rows[:queries.PAGE_SIZE]
    views = [{"e": e, "summary": summary(t, e), "diff": diff(e), "details": details(e)} for e in rows]
    return render(
        request, ctx, "admin_audit.html", status_code=status_code, entries=views, more=more,
        next_before=rows[-1].id if rows and more else None, raw=raw, error=error,
        query_string=filters.query_string() if filters is not None else "",
        result=actions.last_result(ws), unsealed=queries.unsealed_count(ctx.session, ws),
        events=queries.event_types(ctx.session, ws), entity_names=queries.entities(ctx.session, ws),
        actors=queries.actors(ctx.session, ws), vias=VIA, via_labels=VIA_LABELS)


@router.get("/admin/audit")
def audit_page(request: Request, ctx: AuditPage) -> Response:
    raw = _params(request)
    try:
        filters = queries.parse_filters(raw)
    except ComprisError as exc:
        return _page(request, ctx, raw, filters=None, error=i18n.error_text(ctx.user.language, exc),
                     status_code=422)
    return _page(request, ctx, raw, filters=filters)


@router.post("/admin/audit/verify")
def verify_chain(request: Request, ctx: AuditPage) -> Response:
    """Seal what is waiting, then recompute the chain (the result is kept for the banner)."""
    actions.seal(ctx.session, ctx.user.workspace_id)
    actions.verify(ctx.session, ctx.user.workspace_id)
    return redirect("/admin/audit")


def _export(request: Request, ctx: PageContext, kind: str) -> Response:
    raw = _params(request)
    try:
        filters = queries.parse_filters(raw)
    except ComprisError as exc:
        return _page(request, ctx, raw, filters=None, error=i18n.error_text(ctx.user.language, exc),
                     status_code=422)
    db = get_runtime(request).db
    workspace_id = ctx.user.workspace_id

    def batches() -> Iterator[list[dict[str, Any]]]:
        # the request's own transaction has ended when the body is sent: each batch is read in a short transaction
        # of its own (a slow download never holds the database)
        before: int | None = None
        while True:
            with db.transaction() as session:
                rows = queries.entries(session, workspace_id, filters, before_id=before, limit=queries.EXPORT_BATCH)
                found = [queries.as_dict(e) for e in rows]
            yield found
            if len(found) < queries.EXPORT_BATCH:
                return
            before = found[-1]["id"]

    def lines() -> Iterator[str]:
        return queries.csv_lines(batches()) if kind == "csv" else queries.jsonl_lines(batches())

    stamp = now().strftime("%Y%m%d-%H%M%S")
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson; charset=utf-8"
    return StreamingResponse(lines(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="compris-audit-{stamp}.{kind}"', "Cache-Control": "no-store"})


@router.get("/admin/audit/export.csv")
def export_csv(request: Request, ctx: AuditPage) -> Response:
    return _export(request, ctx, "csv")


@router.get("/admin/audit/export.jsonl")
def export_jsonl(request: Request, ctx: AuditPage) -> Response:
    return _export(request, ctx, "jsonl")
