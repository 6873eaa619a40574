"""Routing pages: the admin page for teams, shifts, agents and rules; presence (top bar toggle and the live
page's heartbeat); collision signals (viewing / typing on a case)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.accounts.queries import workspace_users
from compris.inbox.queries import get_case
from compris.kit.errors import ComprisError, NotFound
from compris.routing import actions, queries, shifts
from compris.routing import assignment as routing
from compris.routing.rules import CONDITION_KEYS
from compris.web.deps import ManageDeskPage, PageContext, WorkCasesPage
from compris.web.pages.render import domain_action, is_htmx, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


def _page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    s = ctx.session
    teams = queries.teams(s, ws)
    return render(request, ctx, "admin_routing.html", status_code=status_code, teams=teams,
                  users=workspace_users(s, ws), members=queries.team_members(s, ws),
                  profiles=queries.profiles(s, ws), rules=queries.rules(s, ws), error=error,
                  shift_text=shifts.render, team_names={t.id: t.name for t in teams}, condition_keys=CONDITION_KEYS,
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


@router.post("/admin/routing/rules")
async def add_rule(request: Request, ctx: ManageDeskPage) -> Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    conditions = {k: fields[k] for k in CONDITION_KEYS if k in fields}
    return _admin_write(request, ctx, lambda: actions.create_rule(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=_id(fields.get("team_id", "")) or 0,
        name=fields.get("name", ""), position=fields.get("position") or 0, conditions=conditions))


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
