"""Routing pages: the admin page for teams, shifts, agents and rules; presence (top bar toggle and the live
page's heartbeat); collision signals (viewing / typing on a case)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import delete, select

from compris.inbox.queries import get_case
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import AgentProfile, RoutingRule, Team, TeamMember, User
from compris.routing import service as routing
from compris.routing import shifts
from compris.routing.rules import CONDITION_KEYS, clean_conditions
from compris.web.deps import PageContext, page_user
from compris.web.pages.admin import _forbidden
from compris.web.pages.render import domain_action, is_htmx, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {name!r}") from exc
    return name


def _page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200) -> Response:
    ws = ctx.user.workspace_id
    s = ctx.session
    teams = list(s.scalars(select(Team).where(Team.workspace_id == ws).order_by(Team.name)))
    users = list(s.scalars(select(User).where(User.workspace_id == ws, User.is_active.is_(True)).order_by(User.name)))
    members: dict[int, list[int]] = {}
    for team_id, user_id in s.execute(select(TeamMember.team_id, TeamMember.user_id)
                                      .where(TeamMember.workspace_id == ws)):
        members.setdefault(team_id, []).append(user_id)
    profiles = {p.user_id: p for p in s.scalars(select(AgentProfile).where(AgentProfile.workspace_id == ws))}
    rules = list(s.scalars(select(RoutingRule).where(RoutingRule.workspace_id == ws)
                           .order_by(RoutingRule.position, RoutingRule.id)))
    return render(request, ctx, "admin_routing.html", status_code=status_code, teams=teams, users=users,
                  members=members, profiles=profiles, rules=rules, error=error, shift_text=shifts.render,
                  team_names={t.id: t.name for t in teams}, condition_keys=CONDITION_KEYS,
                  online=lambda p: p is not None and routing.is_online(p))


@router.get("/admin/routing")
def routing_page(request: Request, ctx: PageContext = Depends(page_user)) -> Response:
    return _forbidden(request, ctx) or _page(request, ctx)


def _admin_write(request: Request, ctx: PageContext, write: object) -> Response:
    denied = _forbidden(request, ctx)
    if denied:
        return denied
    try:
        with domain_action(ctx.session):
            assert callable(write)
            write()
    except ComprisError as exc:
        return _page(request, ctx, error=exc.message, status_code=422)
    return redirect("/admin/routing")


def _team(ctx: PageContext, team_id: int) -> Team:
    team = ctx.session.get(Team, team_id)
    if team is None or team.workspace_id != ctx.user.workspace_id:
        raise NotFound("no such team")
    return team


@router.post("/admin/routing/teams")
def save_team(
    request: Request,
    ctx: PageContext = Depends(page_user),
    team_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    is_default: Annotated[str, Form()] = "",
    shift_lines: Annotated[str, Form()] = "",
) -> Response:
    def write() -> None:
        if not name.strip():
            raise Invalid("a team needs a name")
        team = _team(ctx, int(team_id)) if team_id.isdigit() else Team(workspace_id=ctx.user.workspace_id)
        team.name = name.strip()[:100]
        team.timezone = check_timezone(timezone.strip() or "UTC")
        team.shifts = shifts.parse(shift_lines)
        team.is_default = bool(is_default)
        ctx.session.add(team)
        ctx.session.flush()
        if team.is_default:  # one default team
            for other in ctx.session.scalars(select(Team).where(Team.workspace_id == team.workspace_id,
                                                                Team.id != team.id)):
                other.is_default = False
    return _admin_write(request, ctx, write)


@router.post("/admin/routing/teams/{team_id}/delete")
def delete_team(request: Request, team_id: int, ctx: PageContext = Depends(page_user)) -> Response:
    return _admin_write(request, ctx, lambda: ctx.session.delete(_team(ctx, team_id)))


@router.post("/admin/routing/members")
def set_member(
    request: Request,
    ctx: PageContext = Depends(page_user),
    team_id: Annotated[int, Form()] = 0,
    user_id: Annotated[int, Form()] = 0,
    action: Annotated[str, Form()] = "add",
) -> Response:
    def write() -> None:
        team = _team(ctx, team_id)
        user = ctx.session.get(User, user_id)
        if user is None or user.workspace_id != team.workspace_id:
            raise NotFound("no such agent")
        exists = ctx.session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                             TeamMember.user_id == user.id))
        if action == "add" and exists is None:
            ctx.session.add(TeamMember(workspace_id=team.workspace_id, team_id=team.id, user_id=user.id))
        elif action == "remove" and exists is not None:
            ctx.session.delete(exists)
    return _admin_write(request, ctx, write)


@router.post("/admin/routing/agents/{user_id}")
def save_agent(
    request: Request,
    user_id: int,
    ctx: PageContext = Depends(page_user),
    capacity: Annotated[int, Form()] = 5,
    languages: Annotated[str, Form()] = "",
    networks: Annotated[str, Form()] = "",
) -> Response:
    def write() -> None:
        user = ctx.session.get(User, user_id)
        if user is None or user.workspace_id != ctx.user.workspace_id:
            raise NotFound("no such agent")
        if not 0 <= capacity <= 1000:
            raise Invalid("capacity is 0 to 1000")
        profile = routing.profile_for(ctx.session, user)
        profile.capacity = capacity
        profile.skills = {
            "languages": sorted({v.strip().lower() for v in languages.split(",") if v.strip()}),
            "networks": sorted({v.strip().lower() for v in networks.split(",") if v.strip()}),
        }
    return _admin_write(request, ctx, write)


@router.post("/admin/routing/rules")
async def add_rule(request: Request, ctx: PageContext = Depends(page_user)) -> Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}

    def write() -> None:
        team = _team(ctx, int(fields.get("team_id", "0") or 0))
        try:
            conditions = clean_conditions(fields)
            position = int(fields.get("position") or 0)
        except ValueError as exc:
            raise Invalid("priority, position and account ids are numbers") from exc
        ctx.session.add(RoutingRule(workspace_id=ctx.user.workspace_id, team_id=team.id, position=position,
                                    name=fields.get("name", "")[:100], conditions=conditions))
    return _admin_write(request, ctx, write)


@router.post("/admin/routing/rules/{rule_id}/delete")
def delete_rule(request: Request, rule_id: int, ctx: PageContext = Depends(page_user)) -> Response:
    def write() -> None:
        ctx.session.execute(delete(RoutingRule).where(RoutingRule.id == rule_id,
                                                      RoutingRule.workspace_id == ctx.user.workspace_id))
    return _admin_write(request, ctx, write)


# --- presence and collision ----------------------------------------------------------------------


@router.get("/presence")
def presence_fragment(request: Request, ctx: PageContext = Depends(page_user)) -> Response:
    profile = routing.profile_for(ctx.session, ctx.user)
    return render(request, ctx, "_presence.html", presence=profile.presence)


@router.post("/presence")
def set_presence(
    request: Request,
    ctx: PageContext = Depends(page_user),
    presence: Annotated[str, Form()] = "online",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    with domain_action(ctx.session):
        routing.set_presence(ctx.session, ctx.runtime.publisher, ctx.user, presence)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Trigger": "presence-changed"})
    return redirect(safe_next(next))


@router.post("/presence/heartbeat")
def heartbeat(ctx: PageContext = Depends(page_user)) -> Response:
    routing.heartbeat(ctx.session, ctx.runtime.publisher, ctx.user)
    return Response(status_code=204)


@router.post("/cases/{number}/signal")
def collision_signal(
    number: int,
    ctx: PageContext = Depends(page_user),
    action: Annotated[str, Form()] = "viewing",
) -> Response:
    case = get_case(ctx.session, ctx.user.workspace_id, number)
    routing.signal(ctx.session, ctx.runtime.publisher, ctx.user, case, action)
    return Response(status_code=204)
