"""The case's business actions panel and run form, and the actions admin pages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts.queries import workspace_users
from compris.business import actions, forms, prefill, queries
from compris.inbox.queries import CaseView, case_view, get_case
from compris.kit.errors import ComprisError, Forbidden, Invalid, NotFound
from compris.models import BusinessAction, Role
from compris.routing import queries as routing_queries
from compris.web.deps import PageContext, SettingsPage, WorkCasesPage
from compris.web.pages.render import domain_action, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

ROLES = [r.value for r in Role]


def _local(ctx: PageContext) -> bool:
    settings = ctx.runtime.settings
    return bool(settings.allow_local_http_endpoints or settings.demo)


# --- the case page's panel -----------------------------------------------------------------------------------


def panel(ctx: PageContext, view: CaseView, *, failed_key: str | None = None, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, error: str | None = None) -> dict[str, Any]:
    """The variables the case page's business partial needs: the actions this user may run, each with its form
    (prefilled from the case, or the refused attempt's values and errors). Runs and their results are on the
    timeline (refreshed live), not here."""
    session, user = ctx.session, ctx.user
    runnable = queries.runnable(session, user)
    facts = queries.case_facts(session, view.case) if runnable else {}
    lang = user.language
    forms_: list[dict[str, Any]] = []
    for action in runnable:
        failed = action.key == failed_key
        initial = values if failed and values is not None else prefill.prefill(action.prefill or {}, facts,
                                                                                 action.input_schema)
        forms_.append({
            "key": action.key, "name": queries.label(action, lang),
            "description": queries.description(action, lang),
            "fields": forms.form_fields(action.input_schema, initial, errors if failed else None),
            "open": failed, "error": error if failed else None,
        })
    return {
        "business_forms": forms_,
        "business_run_key": uuid.uuid4().hex,
    }


@router.post("/cases/{number}/actions/{key}")
async def run_from_case(number: int, key: str, request: Request,
                        ctx: WorkCasesPage) -> Response:
    """The panel's form: queue a run, or show the form again with its field errors (nothing is written)."""
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    case = get_case(ctx.session, ctx.user.workspace_id, number, for_update=True)
    action = queries.action_by_key(ctx.session, ctx.user.workspace_id, key)
    if not queries.may_run(ctx.session, ctx.user, action):
        raise Forbidden("you may not run this action")
    data = forms.from_form(action.input_schema, fields)
    try:
        with domain_action(ctx.session):
            actions.request_run(ctx.session, ctx.runtime.publisher, actor=ctx.user, case=case, key=key, input=data,
                                idempotency_key=fields.get("idempotency_key") or None)
    except forms.InputInvalid as exc:
        return _refused(request, ctx, number, key, data, exc.fields, None)
    except (Invalid, ComprisError) as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        return _refused(request, ctx, number, key, data, {}, exc.message)
    from compris.web.pages.case import answer_with_fragments  # case.py imports this module for panel()

    return answer_with_fragments(request, ctx, number, ["business_actions", "timeline"])


def _refused(request: Request, ctx: PageContext, number: int, key: str, data: dict[str, Any],
             errors: dict[str, str], error: str | None) -> Response:
    from compris.web.pages.case import _vars  # case.py imports this module for panel()

    view = case_view(ctx.session, ctx.user.workspace_id, number)
    variables = _vars(ctx, view)
    variables.update(panel(ctx, view, failed_key=key, values=data, errors=errors,
                           error=error or (errors.get("") if errors else None)))
    template = "_business_actions.html" if is_htmx(request) else "case.html"
    return render(request, ctx, template, status_code=422, **variables)


# --- admin pages ---------------------------------------------------------------------------------------------


def _schema_text(action: BusinessAction | None) -> str:
    if action is None:
        return json.dumps({"type": "object", "properties": {}, "required": []}, indent=2)
    return json.dumps(action.input_schema, indent=2, ensure_ascii=False)


def _page(request: Request, ctx: PageContext, *, editing: BusinessAction | None = None, creating: bool = False,
          form: dict[str, Any] | None = None, error: str | None = None, secret: str | None = None,
          secret_for: BusinessAction | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    template = "admin_business_edit.html" if (editing is not None or creating) else "admin_business.html"
    return render(request, ctx, template, status_code=status_code,
                  actions=queries.actions(ctx.session, ws), editing=editing, form=form or {}, error=error,
                  secret=secret, secret_for=secret_for, roles=ROLES, teams=routing_queries.teams(ctx.session, ws),
                  sources=prefill.SOURCES, schema_text=_schema_text(editing),
                  prefill_text=json.dumps(editing.prefill if editing else {}, indent=2, ensure_ascii=False),
                  users=workspace_users(ctx.session, ws))


@router.get("/admin/business")
def business_page(request: Request, ctx: SettingsPage) -> Response:
    return _page(request, ctx)


@router.get("/admin/business/new")
def new_action_page(request: Request, ctx: SettingsPage) -> Response:
    return _page(request, ctx, creating=True)


@router.get("/admin/business/{action_id}")
def edit_action_page(request: Request, action_id: int, ctx: SettingsPage) -> Response:
    action = queries.get_action(ctx.session, ctx.user.workspace_id, action_id)
    return _page(request, ctx, editing=action)


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise Invalid(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _float(value: str, what: str) -> float:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise Invalid(f"{what} must be a number") from None


def _int(value: str, what: str) -> int:
    if not value.strip().isdigit():
        raise Invalid(f"{what} must be a whole number")
    return int(value)


@router.post("/admin/business")
def save_action(
    request: Request,
    ctx: SettingsPage,
    action_id: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    name_fr: Annotated[str, Form()] = "",
    description_en: Annotated[str, Form()] = "",
    description_fr: Annotated[str, Form()] = "",
    endpoint_url: Annotated[str, Form()] = "",
    input_schema: Annotated[str, Form()] = "",
    prefill_rules: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    team_ids: Annotated[list[str] | None, Form()] = None,
    timeout_seconds: Annotated[str, Form()] = "10",
    max_attempts: Annotated[str, Form()] = "5",
    is_active: Annotated[str, Form()] = "",
) -> Response:
    """Create (no ``action_id``) or change an action; a new action's secret is shown once on the next page."""
    existing = int(action_id) if action_id.strip().isdigit() else None
    form = {"key": key, "name_en": name_en, "name_fr": name_fr, "description_en": description_en,
            "description_fr": description_fr, "endpoint_url": endpoint_url, "input_schema": input_schema,
            "prefill_rules": prefill_rules, "roles": roles or [], "team_ids": team_ids or [],
            "timeout_seconds": timeout_seconds, "max_attempts": max_attempts, "is_active": bool(is_active)}
    editing = queries.get_action(ctx.session, ctx.user.workspace_id, existing) if existing is not None else None
    names = {"en": name_en, "fr": name_fr}
    descriptions = {"en": description_en, "fr": description_fr}
    created: list[tuple[BusinessAction, str]] = []

    def write() -> None:
        schema = _json(input_schema, "the form's schema")
        rules = _json(prefill_rules, "the prefill rules")
        teams = [_int(t, "a team") for t in (team_ids or [])]
        timeout = _float(timeout_seconds, "the timeout")
        attempts = _int(max_attempts, "attempts")
        if existing is None:
            created.append(actions.create_action(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, secret_key=ctx.runtime.settings.secret_key,
                allow_local=_local(ctx), key=key, names=names, descriptions=descriptions,
                endpoint_url=endpoint_url, input_schema=schema, prefill_rules=rules, roles=roles or [],
                team_ids=teams, timeout_seconds=timeout, max_attempts=attempts, is_active=bool(is_active)))
        else:
            actions.update_action(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, action_id=existing, allow_local=_local(ctx),
                names=names, descriptions=descriptions, endpoint_url=endpoint_url, input_schema=schema,
                prefill_rules=rules, roles=roles or [], team_ids=teams, timeout_seconds=timeout,
                max_attempts=attempts, is_active=bool(is_active))

    try:
        with domain_action(ctx.session):
            write()
    except ComprisError as exc:
        if isinstance(exc, NotFound):
            raise
        return _page(request, ctx, editing=editing, creating=editing is None, form=form, error=exc.message,
                     status_code=422)
    if created:
        action, secret = created[0]
        return _page(request, ctx, secret=secret, secret_for=action)
    return redirect("/admin/business")


def _simple(request: Request, ctx: PageContext, write: Callable[[], Any]) -> Response:
    with domain_action(ctx.session):
        result = write()
    if isinstance(result, tuple):
        action, secret = result
        return _page(request, ctx, secret=secret, secret_for=action)
    return redirect("/admin/business")


@router.post("/admin/business/{action_id}/rotate")
def rotate_secret(request: Request, action_id: int, ctx: SettingsPage) -> Response:
    return _simple(request, ctx, lambda: actions.rotate_secret(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, secret_key=ctx.runtime.settings.secret_key,
        action_id=action_id))


@router.post("/admin/business/{action_id}/active")
def set_active(request: Request, action_id: int, ctx: SettingsPage,
               active: Annotated[str, Form()] = "") -> Response:
    return _simple(request, ctx, lambda: actions.update_action(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, action_id=action_id, allow_local=_local(ctx),
        is_active=active == "1") and None)
