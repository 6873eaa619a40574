"""Routing pages: the admin page for teams, shifts, agents and rules; presence (top bar toggle and the live
page's heartbeat); collision signals (viewing / typing on a case)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from compris.accounts.queries import workspace_users
from compris.channels.queries import channel_accounts
from compris.connectors import registry
from compris.inbox.queries import get_case
from compris.kit.errors import ComprisError, NotFound
from compris.routing import actions, queries, shifts
from compris.routing import assignment as routing
from compris.triage.labels import LANGUAGES
from compris.web.deps import ManageDeskPage, PageContext, WorkCasesPage
from compris.web.i18n import error_text, gettext, normalise
from compris.web.pages.render import LABELS, domain_action, is_htmx, network_name, redirect, render, safe_next

router = APIRouter(include_in_schema=False)

#: the rule form's lists of choices (checkboxes), by condition; the words and the priority are typed
RULE_LISTS = ("networks", "channel_account_ids", "languages", "intents", "topics")
PRIORITY_STEPS = tuple(range(10, 100, 10))


def rule_choices(ctx: PageContext) -> dict[str, list[tuple[str, str]]]:
    """What the rule form offers, as ``(value, name shown)`` in the user's language: every network Compris knows,
    the workspace's accounts by name, the languages triage detects, its intents and topics."""
    lang = normalise(ctx.user.language)
    locale = Locale.parse(lang)
    accounts = channel_accounts(ctx.session, ctx.user.workspace_id)
    networks = sorted(((n, gettext(lang, c.display_name)) for n, c in registry.connectors().items()),
                      key=lambda pair: pair[1].lower())
    return {
        "networks": networks,
        "channel_account_ids": [(str(a.id), _account_name(a.name, network_name(a.network, a), lang))
                                for a in accounts],
        "languages": [(code, (locale.languages.get(code) or code).capitalize()) for code in LANGUAGES
                      if code != "unknown"],
        "intents": [(k, gettext(lang, v)) for k, v in LABELS["intent"].items()],
        "topics": [(k, gettext(lang, v)) for k, v in LABELS["topic"].items()],
    }


def _account_name(name: str, network: str, lang: str) -> str:
    """An account by its name, with its network unless the name says it already ("@brand on X")."""
    return name if network.split(" (")[0].lower() in name.lower() else f"{name} ({gettext(lang, network)})"


def _page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200,
          rule_form: Mapping[str, Any] | None = None, rule_error: str | None = None) -> Response:
    ws = ctx.user.workspace_id
    s = ctx.session
    teams = queries.teams(s, ws)
    choices = rule_choices(ctx)
    return render(request, ctx, "admin_routing.html", status_code=status_code, teams=teams,
                  users=workspace_users(s, ws), members=queries.team_members(s, ws),
                  profiles=queries.profiles(s, ws), rules=queries.rules(s, ws), error=error,
                  shift_text=shifts.render, team_names={t.id: t.name for t in teams},
                  choices=choices, choice_names={k: dict(v) for k, v in choices.items()},
                  priority_steps=PRIORITY_STEPS, rule_form=rule_form or {}, rule_error=rule_error,
                  online=lambda p: p is not None and routing.is_online(p))


@router.get("/admin/routing")
def routing_page(request: Request, ctx: ManageDeskPage) -> Response:
    return _page(request, ctx)


def _admin_write(request: Request, ctx: PageContext, write: Callable[[], object], *,
                 missing_ok: bool = False) -> Response:
    """Run one action; its refusal is shown on the page (nothing written). ``missing_ok``: deleting what is already
    gone (a second click) is no error."""
    try:
        with domain_action(ctx.session):
            write()
    except ComprisError as exc:
        if not (missing_ok and isinstance(exc, NotFound)):
            return _page(request, ctx, error=exc.message, status_code=422)
    return redirect("/admin/routing")


def _id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.post("/admin/routing/teams")
def save_team(
    request: Request,
    ctx: ManageDeskPage,
    team_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    is_default: Annotated[str, Form()] = "",
    shift_lines: Annotated[str, Form()] = "",
) -> Response:
    existing = _id(team_id)
    if existing is None:
        return _admin_write(request, ctx, lambda: actions.create_team(
            ctx.session, ctx.runtime.publisher, actor=ctx.user, name=name, timezone=timezone,
            is_default=bool(is_default), shift_lines=shift_lines))
    return _admin_write(request, ctx, lambda: actions.update_team(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=existing, name=name, timezone=timezone,
        is_default=bool(is_default), shift_lines=shift_lines))


@router.post("/admin/routing/teams/{team_id}/delete")
def delete_team(request: Request, team_id: int, ctx: ManageDeskPage) -> Response:
    return _admin_write(request, ctx, lambda: actions.delete_team(ctx.session, ctx.runtime.publisher,
                                                                  actor=ctx.user, team_id=team_id))


@router.post("/admin/routing/members")
def set_member(
    request: Request,
    ctx: ManageDeskPage,
    team_id: Annotated[int, Form()] = 0,
    user_id: Annotated[int, Form()] = 0,
    action: Annotated[str, Form()] = "add",
) -> Response:
    change = actions.remove_member if action == "remove" else actions.add_member
    return _admin_write(request, ctx, lambda: change(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                                     team_id=team_id, user_id=user_id))


@router.post("/admin/routing/agents/{user_id}")
def save_agent(
    request: Request,
    user_id: int,
    ctx: ManageDeskPage,
    capacity: Annotated[int, Form()] = 5,
    languages: Annotated[str, Form()] = "",
    networks: Annotated[str, Form()] = "",
) -> Response:
    return _admin_write(request, ctx, lambda: actions.update_agent(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, user_id=user_id, capacity=capacity,
        languages=languages, networks=networks))


class RuleFormError(ValueError):
    """A value the rule form did not offer (a stale page, a hand-made request): shown in the form, nothing saved."""


def _rule_conditions(form: FormData, choices: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """The conditions of the rule form: the lists only with values it offered, the words as typed, the priority
    one of its steps (0 to 100). The API takes the raw fields (``compris.routing.actions.check_conditions``)."""
    conditions: dict[str, Any] = {}
    for key in RULE_LISTS:
        picked = [str(v) for v in form.getlist(key) if isinstance(v, str) and v]
        offered = {value for value, _name in choices[key]}
        unknown = [v for v in picked if v not in offered]
        if unknown:
            raise RuleFormError(f"{key}: {', '.join(unknown)[:100]}")
        if picked:
            conditions[key] = [int(v) for v in picked] if key == "channel_account_ids" else picked
    keywords = str(form.get("keywords") or "").strip()
    if keywords:
        conditions["keywords"] = keywords
    priority = str(form.get("min_priority") or "").strip()
    if priority:
        if not priority.isdigit() or not 0 <= int(priority) <= 100:
            raise RuleFormError(f"min_priority: {priority[:20]}")
        conditions["min_priority"] = int(priority)
    return conditions


@router.post("/admin/routing/rules")
async def add_rule(request: Request, ctx: ManageDeskPage) -> Response:
    form = await request.form()
    choices = rule_choices(ctx)
    kept: dict[str, Any] = {k: [str(v) for v in form.getlist(k)] for k in RULE_LISTS}
    kept.update({k: str(form.get(k) or "") for k in ("name", "position", "team_id", "keywords", "min_priority")})
    lang = normalise(ctx.user.language)

    def refused(message: str) -> Response:
        return _page(request, ctx, status_code=422, rule_form=kept, rule_error=message)

    team_id = _id(kept["team_id"])
    if team_id is None or team_id not in {t.id for t in queries.teams(ctx.session, ctx.user.workspace_id)}:
        return refused(gettext(lang, "Choose the team that receives the cases."))
    position = kept["position"].strip()
    if position and not position.lstrip("-").isdigit():
        return refused(gettext(lang, "The order is a whole number."))
    try:
        conditions = _rule_conditions(form, choices)
    except RuleFormError as exc:
        return refused(gettext(lang, "This choice is not offered: %(value)s.", value=str(exc)))
    try:
        with domain_action(ctx.session):
            actions.create_rule(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id,
                                name=kept["name"], position=position or 0, conditions=conditions)
    except ComprisError as exc:
        return refused(error_text(lang, exc))
    return redirect("/admin/routing#rules")


@router.post("/admin/routing/rules/{rule_id}/delete")
def delete_rule(request: Request, rule_id: int, ctx: ManageDeskPage) -> Response:
    return _admin_write(request, ctx, lambda: actions.delete_rule(ctx.session, ctx.runtime.publisher,
                                                                  actor=ctx.user, rule_id=rule_id), missing_ok=True)


# --- presence and collision ----------------------------------------------------------------------


@router.get("/presence")
def presence_fragment(request: Request, ctx: WorkCasesPage) -> Response:
    profile = routing.profile_for(ctx.session, ctx.user)
    return render(request, ctx, "_presence.html", presence=profile.presence)


@router.post("/presence")
def set_presence(
    request: Request,
    ctx: WorkCasesPage,
    presence: Annotated[str, Form()] = "online",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    with domain_action(ctx.session):
        routing.set_presence(ctx.session, ctx.runtime.publisher, ctx.user, presence)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Trigger": "presence-changed"})
    return redirect(safe_next(next))


@router.post("/presence/heartbeat")
def heartbeat(ctx: WorkCasesPage) -> Response:
    routing.heartbeat(ctx.session, ctx.runtime.publisher, ctx.user)
    return Response(status_code=204)


@router.post("/cases/{number}/signal")
def collision_signal(
    number: int,
    ctx: WorkCasesPage,
    action: Annotated[str, Form()] = "viewing",
) -> Response:
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    routing.signal(ctx.session, ctx.runtime.publisher, ctx.user, case, action)
    return Response(status_code=204)
