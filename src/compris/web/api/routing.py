"""Routing's settings (admins): teams and their members, agents' capacity and skills, routing rules.

The same actions as the admin page (``compris.routing.actions``): each change is checked, audited and announced.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from compris.accounts.queries import workspace_users
from compris.models import AgentProfile, RoutingRule, Team, User
from compris.routing import actions, queries, shifts
from compris.routing import assignment as routing
from compris.routing.schemas import (
    AgentList,
    AgentOut,
    AgentPatch,
    RuleConditions,
    RuleIn,
    RuleList,
    RuleOut,
    RulePatch,
    TeamIn,
    TeamList,
    TeamOut,
    TeamPatch,
)
from compris.web.api.common import ManageDeskApi, errors
from compris.web.deps import PageContext

router = APIRouter(tags=["routing"])

TeamId = Annotated[int, Path(description="The team's id (see `GET /teams`).", examples=[4])]
UserId = Annotated[int, Path(description="A user of the workspace.", examples=[7])]
RuleId = Annotated[int, Path(description="The rule's id (see `GET /routing-rules`).", examples=[12])]
NO_TEAM = "No such team (or user) in your workspace."


def _team(team: Team, members: list[int]) -> TeamOut:
    return TeamOut(id=team.id, name=team.name, timezone=team.timezone, is_default=team.is_default,
                   shifts=shifts.render(team.shifts or {}), member_ids=members)


def _team_out(ctx: PageContext, team: Team) -> TeamOut:
    return _team(team, queries.team_members(ctx.session, ctx.user.workspace_id).get(team.id, []))


def _agent(user: User, profile: AgentProfile | None) -> AgentOut:
    skills = (profile.skills or {}) if profile else {}
    return AgentOut(user_id=user.id, name=user.name, role=user.role,  # type: ignore[arg-type]
                    capacity=profile.capacity if profile else 5, languages=list(skills.get("languages", [])),
                    networks=list(skills.get("networks", [])),
                    presence=profile.presence if profile else "online",  # type: ignore[arg-type]
                    online=profile is not None and routing.is_online(profile))


def _rule(rule: RoutingRule) -> RuleOut:
    return RuleOut(id=rule.id, team_id=rule.team_id, name=rule.name, position=rule.position,
                   conditions=RuleConditions(**(rule.conditions or {})), is_active=rule.is_active)


def _conditions(conditions: RuleConditions) -> dict[str, object]:
    return conditions.model_dump(exclude_none=True)


# --- teams -------------------------------------------------------------------------------------------------


@router.get("/teams", response_model=TeamList, summary="List teams", responses=errors(403))
def list_teams(ctx: ManageDeskApi) -> TeamList:
    """The workspace's teams by name, with their shifts and members."""
    members = queries.team_members(ctx.session, ctx.user.workspace_id)
    return TeamList(items=[_team(t, members.get(t.id, [])) for t in queries.teams(ctx.session,
                                                                                   ctx.user.workspace_id)])


@router.post("/teams", status_code=201, response_model=TeamOut, summary="Create a team",
             responses=errors(403, 409, 422))
def create_team(body: TeamIn, ctx: ManageDeskApi) -> TeamOut:
    """A team with its time zone and shifts. A second team of the same name is a conflict (409)."""
    team = actions.create_team(ctx.session, ctx.runtime.publisher, actor=ctx.user, name=body.name,
                               timezone=body.timezone, is_default=body.is_default, shift_lines=body.shifts)
    return _team_out(ctx, team)


@router.get("/teams/{team_id}", response_model=TeamOut, summary="Read a team",
            responses=errors(403, 404, 422, not_found=NO_TEAM))
def get_team(team_id: TeamId, ctx: ManageDeskApi) -> TeamOut:
    """One team, with its shifts and members."""
    return _team_out(ctx, actions.get_team(ctx.session, ctx.user.workspace_id, team_id))


@router.patch("/teams/{team_id}", response_model=TeamOut, summary="Change a team",
              responses=errors(403, 404, 409, 422, not_found=NO_TEAM))
def update_team(team_id: TeamId, body: TeamPatch, ctx: ManageDeskApi) -> TeamOut:
    """Change the fields given; the others stay as they are."""
    team = actions.update_team(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id, name=body.name,
                               timezone=body.timezone, is_default=body.is_default, shift_lines=body.shifts)
    return _team_out(ctx, team)


@router.delete("/teams/{team_id}", status_code=204, summary="Delete a team",
               responses=errors(403, 404, 422, not_found=NO_TEAM))
def delete_team(team_id: TeamId, ctx: ManageDeskApi) -> Response:
    """The team, its memberships and its routing rules. Its cases keep their history."""
    actions.delete_team(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id)
    return Response(status_code=204)


@router.put("/teams/{team_id}/members/{user_id}", response_model=TeamOut, summary="Add a member",
            responses=errors(403, 404, 422, not_found=NO_TEAM))
def add_member(team_id: TeamId, user_id: UserId, ctx: ManageDeskApi) -> TeamOut:
    """Put a user in the team (already in it: nothing changes)."""
    actions.add_member(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id, user_id=user_id)
    return _team_out(ctx, actions.get_team(ctx.session, ctx.user.workspace_id, team_id))


@router.delete("/teams/{team_id}/members/{user_id}", response_model=TeamOut, summary="Remove a member",
               responses=errors(403, 404, 422, not_found=NO_TEAM))
def remove_member(team_id: TeamId, user_id: UserId, ctx: ManageDeskApi) -> TeamOut:
    """Take a user out of the team (not in it: nothing changes)."""
    actions.remove_member(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=team_id, user_id=user_id)
    return _team_out(ctx, actions.get_team(ctx.session, ctx.user.workspace_id, team_id))


# --- agents ------------------------------------------------------------------------------------------------


@router.get("/agents", response_model=AgentList, summary="List agents", responses=errors(403))
def list_agents(ctx: ManageDeskApi) -> AgentList:
    """The workspace's active users with their capacity, skills and presence."""
    profiles = queries.profiles(ctx.session, ctx.user.workspace_id)
    return AgentList(items=[_agent(u, profiles.get(u.id)) for u in workspace_users(ctx.session,
                                                                                    ctx.user.workspace_id)])


@router.patch("/agents/{user_id}", response_model=AgentOut, summary="Change an agent's capacity or skills",
              responses=errors(403, 404, 422, not_found="No such user in your workspace."))
def update_agent(user_id: UserId, body: AgentPatch, ctx: ManageDeskApi) -> AgentOut:
    """How many active cases the agent takes at once, and the languages and networks they answer (empty: any)."""
    profile = actions.update_agent(ctx.session, ctx.runtime.publisher, actor=ctx.user, user_id=user_id,
                                   capacity=body.capacity, languages=body.languages, networks=body.networks)
    user = ctx.session.get(User, user_id)
    assert user is not None
    return _agent(user, profile)


# --- routing rules -----------------------------------------------------------------------------------------


@router.get("/routing-rules", response_model=RuleList, summary="List routing rules", responses=errors(403))
def list_rules(ctx: ManageDeskApi) -> RuleList:
    """The rules in the order they are tried: a new case goes to the team of the first rule it matches, else to
    the default team."""
    return RuleList(items=[_rule(r) for r in queries.rules(ctx.session, ctx.user.workspace_id)])


@router.post("/routing-rules", status_code=201, response_model=RuleOut, summary="Create a routing rule",
             responses=errors(403, 404, 422, not_found=NO_TEAM))
def create_rule(body: RuleIn, ctx: ManageDeskApi) -> RuleOut:
    """Send new cases matching every condition to a team."""
    rule = actions.create_rule(ctx.session, ctx.runtime.publisher, actor=ctx.user, team_id=body.team_id,
                               name=body.name, position=body.position, conditions=_conditions(body.conditions))
    return _rule(rule)


@router.patch("/routing-rules/{rule_id}", response_model=RuleOut, summary="Change a routing rule",
              responses=errors(403, 404, 422, not_found="No such rule (or team) in your workspace."))
def update_rule(rule_id: RuleId, body: RulePatch, ctx: ManageDeskApi) -> RuleOut:
    """Change the fields given; `conditions`, when given, replaces them all."""
    rule = actions.update_rule(ctx.session, ctx.runtime.publisher, actor=ctx.user, rule_id=rule_id,
                               team_id=body.team_id, name=body.name, position=body.position,
                               conditions=_conditions(body.conditions) if body.conditions is not None else None,
                               is_active=body.is_active)
    return _rule(rule)


@router.delete("/routing-rules/{rule_id}", status_code=204, summary="Delete a routing rule",
               responses=errors(403, 404, 422, not_found="No such rule in your workspace."))
def delete_rule(rule_id: RuleId, ctx: ManageDeskApi) -> Response:
    """The rule; cases already routed stay where they are."""
    actions.delete_rule(ctx.session, ctx.runtime.publisher, actor=ctx.user, rule_id=rule_id)
    return Response(status_code=204)
