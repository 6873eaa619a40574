"""Reads of routing's settings for the admin page and the API: teams, their members, agent profiles, rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import AgentProfile, RoutingRule, Team, TeamMember


def teams(session: Session, workspace_id: int) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)))


def team_members(session: Session, workspace_id: int) -> dict[int, list[int]]:
    """Team id → its members' user ids."""
    members: dict[int, list[int]] = {}
    for team_id, user_id in session.execute(select(TeamMember.team_id, TeamMember.user_id)
                                            .where(TeamMember.workspace_id == workspace_id)
                                            .order_by(TeamMember.user_id)):
        members.setdefault(team_id, []).append(user_id)
    return members


def profiles(session: Session, workspace_id: int) -> dict[int, AgentProfile]:
    """User id → their agent profile (agents without one have the defaults)."""
    return {p.user_id: p for p in session.scalars(select(AgentProfile)
                                                   .where(AgentProfile.workspace_id == workspace_id))}


def rules(session: Session, workspace_id: int) -> list[RoutingRule]:
    """The routing rules in the order they are tried."""
    return list(session.scalars(select(RoutingRule).where(RoutingRule.workspace_id == workspace_id)
                                .order_by(RoutingRule.position, RoutingRule.id)))
