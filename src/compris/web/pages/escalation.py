"""The case's escalations panel and escalate form, the partners and teams admin pages, the supervisors'
list of overdue escalations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from compris.escalation import actions, queries
from compris.escalation.actions.partners import check_reminders
from compris.inbox.queries import CaseView, case_view, get_case
from compris.kit.clock import now
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import Case, Message, Partner
from compris.replies import queries as reply_queries
from compris.sla.queries import business_hours
from compris.web import i18n
from compris.web.deps import PageContext, SettingsPage, WorkCasesPage
from compris.web.pages.render import (
    domain_action,
    environment,
    is_htmx,
    redirect,
    render,
    template_context,
    workspace_of,
)

router = APIRouter(include_in_schema=False)

PREVIEW = 120


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


#: the latest messages of the case the escalate form offers to share (a case may hold thousands)
SHARE_SHOWN = 50


def panel(ctx: PageContext, view: CaseView) -> dict[str, Any]:
    """The variables the case page's escalation partial needs: the case's escalations (newest first), and for the
    escalate form the active partners with their default due time, the reply templates rendered for the case, the
    case's messages and files to pick from."""
    s = ctx.session
    case = view.case
    at = now()
    partners = queries.partners(s, ctx.user.workspace_id, active_only=True)
    of_case = (Message.case_id == case.id, Message.deleted_at.is_(None))
    messages = list(s.scalars(select(Message).where(*of_case).order_by(Message.sent_at.desc(), Message.id.desc())
                              .limit(SHARE_SHOWN + 1)))[::-1]
    more = 0
    if len(messages) > SHARE_SHOWN:  # a long conversation: its latest messages to pick from (issue 22)
        messages = messages[1:]
        more = int(s.scalar(select(func.count()).select_from(Message).where(*of_case)) or 0) - SHARE_SHOWN
    templates = reply_queries.render_many(s, reply_queries.list_templates(s, ctx.user.workspace_id), case, ctx.user)
    return {
        "escalations": queries.case_escalations(s, ctx.user.workspace_id, case.id),
        "esc_partners": partners,
        "esc_default_due": {p.id: actions.default_due(s, p, at) for p in partners},
        "esc_messages": [{"id": m.id, "inbound": m.direction == "inbound", "visibility": m.visibility,
                          "sent_at": m.sent_at, "preview": _preview(m.text)} for m in messages],
        "esc_messages_more": more,
        "esc_uploads": actions.case_uploads(s, case),
        "esc_templates": [{"id": r.template.id, "name": r.template.name, "text": r.text} for r in templates
                          if r.text],
        "esc_error": None,
        "esc_form": {},
        "esc_now": at,
    }


# --- the case's escalations ----------------------------------------------------------------------------------


def parse_local(value: str, tz: str) -> datetime | None:
    """A ``datetime-local`` field's value (the workspace's time zone) as an aware time; empty: None."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("pick a valid due date and time") from None
    return parsed.replace(tzinfo=i18n.zone(tz)) if parsed.tzinfo is None else parsed


def _ids(values: list[str]) -> list[int]:
    out = []
    for value in values:
        value = value.strip()
        if value:
            if not (value.isascii() and value.isdigit()):
                raise NotFound("no such message or file on this case")
            out.append(int(value))
    return out


def _case_answer(request: Request, ctx: PageContext, number: int, *, error: str | None = None,
                 form: dict[str, Any] | None = None) -> Response:
    """Success: the escalations panel, the timeline and the actions (HTMX), or back to the case. A refusal: the
    panel again with the error and what was typed."""
    from compris.web.pages import case as case_pages  # the case page includes this module's panel

    if error is None:
        if not is_htmx(request):
            return redirect(f"/cases/{number}")
        return case_pages.answer_with_fragments(request, ctx, number, ["escalations", "timeline", "actions"],
                                                status_code=200)
    if not is_htmx(request):
        return case_pages.answer_with_fragments(request, ctx, number, ["escalations"], action_error=error)
    view = case_view(ctx.session, ctx.user.workspace_id, number)
    context = template_context(request, ctx)
    context.update({"view": view, "case": view.case, "oob": False, **panel(ctx, view)})
    context.update({"esc_error": error, "esc_form": form or {}})
    html = environment().get_template("_escalations.html").render(context)
    return HTMLResponse(html, status_code=422, headers={"Cache-Control": "no-store"})


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


@router.post("/cases/{number}/escalations")
async def escalate(number: int, request: Request, ctx: WorkCasesPage) -> Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    message_ids = [str(v) for v in form.getlist("message_ids")]
    upload_ids = [str(v) for v in form.getlist("upload_ids")]
    personal_data = bool(fields.get("personal_data"))
    kept: dict[str, Any] = {"partner_id": fields.get("partner_id", ""), "brief": fields.get("brief", ""),
            "template_id": fields.get("template_id", ""), "due_at": fields.get("due_at", ""),
            "personal_data": personal_data, "message_ids": message_ids, "upload_ids": upload_ids, "open": True}
    try:
        case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            partner_id = fields.get("partner_id", "").strip()
            if not partner_id.isdigit():
                raise Invalid("choose a partner or team")
            template_id = fields.get("template_id", "").strip()
            actions.escalate(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, partner_id=int(partner_id),
                brief=fields.get("brief", ""), template_id=int(template_id) if template_id.isdigit() else None,
                message_ids=_ids(message_ids), upload_ids=_ids(upload_ids), personal_data=personal_data,
                due_at=parse_local(fields.get("due_at", ""), workspace_of(ctx.session, ctx).timezone))
    except ComprisError as exc:
        return _case_answer(request, ctx, number, error=i18n.error_text(ctx.user.language, exc), form=kept)
    return _case_answer(request, ctx, number)


def _on_escalation(request: Request, ctx: PageContext, number: int, escalation_id: int,
                   do: Callable[[Case, Any], object]) -> Response:
    try:
        case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    except NotFound:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            escalation = actions.get_escalation(ctx.session, ctx.user.workspace_id, escalation_id, case=case,
                                                for_update=True)
            do(case, escalation)
    except ComprisError as exc:
        return _case_answer(request, ctx, number, error=i18n.error_text(ctx.user.language, exc))
    return _case_answer(request, ctx, number)


@router.post("/cases/{number}/escalations/{escalation_id}/follow-up")
def follow_up(number: int, escalation_id: int, request: Request, ctx: WorkCasesPage,
              text: Annotated[str, Form()] = "") -> Response:
    return _on_escalation(request, ctx, number, escalation_id, lambda case, e: actions.follow_up(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=e, text=text))


@router.post("/cases/{number}/escalations/{escalation_id}/close")
def close(number: int, escalation_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    return _on_escalation(request, ctx, number, escalation_id, lambda case, e: actions.close(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=e))


@router.post("/cases/{number}/escalations/{escalation_id}/cancel")
def cancel(number: int, escalation_id: int, request: Request, ctx: WorkCasesPage) -> Response:
    return _on_escalation(request, ctx, number, escalation_id, lambda case, e: actions.cancel(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=e))


@router.post("/cases/{number}/escalations/{escalation_id}/reopen")
def reopen(number: int, escalation_id: int, request: Request, ctx: WorkCasesPage,
           due_at: Annotated[str, Form()] = "") -> Response:
    return _on_escalation(request, ctx, number, escalation_id, lambda case, e: actions.reopen(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=e,
        due_at=parse_local(due_at, workspace_of(ctx.session, ctx).timezone)))


@router.post("/cases/{number}/escalations/{escalation_id}/revoke-links")
def revoke_links(number: int, escalation_id: int, request: Request,
                 ctx: WorkCasesPage) -> Response:
    return _on_escalation(request, ctx, number, escalation_id, lambda case, e: actions.revoke_links(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, escalation=e))


# --- partners and internal teams (admins) --------------------------------------------------------------------


def _admin_page(request: Request, ctx: PageContext, *, editing: Partner | None = None, error: str | None = None,
                form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    calendars = business_hours(ctx.session, ws)
    return render(request, ctx, "admin_partners.html", status_code=status_code,
                  partners=queries.partners(ctx.session, ws), calendars=calendars,
                  calendar_names={c.id: c.name for c in calendars}, editing=editing, error=error, form=form or {})


@router.get("/admin/partners")
def partners_page(request: Request, ctx: SettingsPage, edit: int | None = None) -> Response:
    editing = None
    if edit is not None:
        try:
            editing = actions.get_partner(ctx.session, ctx.user.workspace_id, edit)
        except NotFound:
            return _not_found(request, ctx)
    return _admin_page(request, ctx, editing=editing)


@router.post("/admin/partners")
async def save_partner(request: Request, ctx: SettingsPage) -> Response:
    form = await request.form()
    f = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    existing = f.get("partner_id", "").strip()
    hours = f.get("business_hours_id", "").strip()
    try:
        with domain_action(ctx.session):
            reminders = check_reminders({
                "before_minutes": actions.parse_minutes_list(f.get("before_minutes", ""),
                                                             "a reminder before the due time"),
                "after_minutes": actions.parse_minutes_list(f.get("after_minutes", ""),
                                                            "a reminder after the due time"),
                "repeat_minutes": f.get("repeat_minutes", "").strip() or 0})
            values: dict[str, Any] = {
                "name": f.get("name", ""), "kind": f.get("kind", "partner"), "emails": f.get("emails", ""),
                "language": f.get("language", "en"), "due_minutes": f.get("due_minutes", "").strip() or "0",
                "reminders": reminders, "link_days": f.get("link_days", "").strip() or "0",
                "notes": f.get("notes", ""),
                "business_hours_id": int(hours) if hours.isdigit() else None}
            if existing.isdigit():
                actions.update_partner(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                       partner_id=int(existing), **values)
            else:
                actions.create_partner(ctx.session, ctx.runtime.publisher, actor=ctx.user, **values)
    except ComprisError as exc:
        editing = None
        if existing.isdigit():
            try:
                editing = actions.get_partner(ctx.session, ctx.user.workspace_id, int(existing))
            except NotFound:
                editing = None
        return _admin_page(request, ctx, editing=editing, error=i18n.error_text(ctx.user.language, exc), form=f,
                           status_code=422)
    return redirect("/admin/partners")


@router.post("/admin/partners/{partner_id}/active")
def set_active(partner_id: int, request: Request, ctx: SettingsPage,
               active: Annotated[str, Form()] = "") -> Response:
    try:
        with domain_action(ctx.session):
            actions.set_partner_active(ctx.session, ctx.runtime.publisher, actor=ctx.user, partner_id=partner_id,
                                       active=active == "1")
    except ComprisError as exc:
        return _admin_page(request, ctx, error=i18n.error_text(ctx.user.language, exc), status_code=422)
    return redirect("/admin/partners")
