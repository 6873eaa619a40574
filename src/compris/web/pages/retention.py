"""``/admin/retention`` (``SettingsPage``): how long the workspace keeps messages, attachments, raw deliveries and
audit entries, what the next daily run will remove (the same conditions as the run), the last run, "Run now"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.kit.errors import ComprisError
from compris.privacy import retention_queries as queries
from compris.privacy.actions import retention
from compris.web import i18n
from compris.web.deps import PageContext, SettingsPage
from compris.web.pages.render import domain_action, language_of, redirect, render

router = APIRouter(include_in_schema=False)

#: the page's rows: the policy's field, the kind of the preview, its name and what removing it means
ROWS = (
    ("messages_days", "messages", "Messages",
     "Messages of resolved or closed cases with no activity for this long lose their content (text, attachments' "
     "details, personal data). The cases, their times and their labels stay: reports are unchanged. Active cases "
     "are never touched."),
    ("attachments_days", "attachments", "Attachments",
     "Files of resolved or closed cases stored this long ago are deleted; the case shows \"Attachment removed "
     "under the retention policy\"."),
    ("raw_events_days", "raw_events", "Raw deliveries",
     "Deliveries from the networks processed this long ago are deleted. Set-aside ones are kept at least 30 days "
     "(to replay them), pending ones always."),
    ("audit_days", "audit_entries", "Audit log entries",
     "Entries older than this are deleted; the audit chain then starts after the last one removed."),
)


def _page(request: Request, ctx: PageContext, *, values: dict[str, str] | None = None,
          errors: dict[str, ComprisError] | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    policy = queries.policy_of(ctx.session, ws)
    periods = queries.Periods.of(policy).as_dict()
    shown = values if values is not None else {k: "" if v is None else str(v) for k, v in periods.items()}
    lang = language_of(ctx, request)
    messages = {k: i18n.error_text(lang, e) for k, e in (errors or {}).items()}
    return render(request, ctx, "admin_retention.html", status_code=status_code, rows=ROWS, values=shown,
                  errors=messages, minimum=queries.MINIMUM_DAYS, maximum=queries.MAXIMUM_DAYS, policy=policy,
                  preview=queries.preview(ctx.session, ws), kinds=queries.KINDS)


@router.get("/admin/retention")
def retention_page(request: Request, ctx: SettingsPage) -> Response:
    return _page(request, ctx)


@router.post("/admin/retention")
def save_retention(
    request: Request,
    ctx: SettingsPage,
    messages_days: Annotated[str, Form()] = "",
    attachments_days: Annotated[str, Form()] = "",
    raw_events_days: Annotated[str, Form()] = "",
    audit_days: Annotated[str, Form()] = "",
) -> Response:
    values = {"messages_days": messages_days.strip(), "attachments_days": attachments_days.strip(),
              "raw_events_days": raw_events_days.strip(), "audit_days": audit_days.strip()}
    _periods, errors = retention.check_periods(values)
    if errors:
        return _page(request, ctx, values=values, errors=dict(errors), status_code=422)
    try:
        with domain_action(ctx.session):
            retention.save_policy(ctx.session, ctx.runtime.publisher, actor=ctx.user, values=values)
    except retention.PeriodInvalid as exc:
        return _page(request, ctx, values=values, errors={exc.field: exc}, status_code=422)
    return redirect("/admin/retention?saved=1")


@router.post("/admin/retention/run")
def run_retention(ctx: SettingsPage) -> Response:
    with domain_action(ctx.session):
        retention.request_run(ctx.session, ctx.runtime.publisher, actor=ctx.user)
    return redirect("/admin/retention?queued=1#last-run")
