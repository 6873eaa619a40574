"""Reads of accounts: a workspace's users (their teams and skills), invitations, a user's API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import AgentProfile, ApiToken, Invitation, Team, TeamMember, User


def workspace_users(session: Session, workspace_id: int) -> list[User]:
    """The active users of a workspace, by name."""
    return list(
        session.scalars(select(User).where(User.workspace_id == workspace_id, User.is_active).order_by(User.name))
    )


def all_users(session: Session, workspace_id: int) -> list[User]:
    """Every user of a workspace, deactivated ones too, by name."""
    return list(session.scalars(select(User).where(User.workspace_id == workspace_id).order_by(User.name, User.id)))


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """A user's own API tokens: the usable ones first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                       ApiToken.workspace_id == user.workspace_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def open_invitations(session: Session, workspace_id: int) -> list[Invitation]:
    """The invitations neither accepted nor revoked (expired ones too: they can be re-sent), newest first."""
    return list(session.scalars(select(Invitation).where(
        Invitation.workspace_id == workspace_id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.id.desc())))


def all_invitations(session: Session, workspace_id: int) -> list[Invitation]:
    """Every invitation of the workspace, newest first."""
    return list(session.scalars(select(Invitation).where(Invitation.workspace_id == workspace_id)
                                .order_by(Invitation.id.desc())))


def workspace_teams(session: Session, workspace_id: int) -> list[Team]:
    """The workspace's teams, by name."""
    return list(session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)))


def team_ids_by_user(session: Session, workspace_id: int) -> dict[int, list[int]]:
    """Each user's teams (ids), for the people page and the API."""
    found: dict[int, list[int]] = {}
    for user_id, team_id in session.execute(select(TeamMember.user_id, TeamMember.team_id)
                                            .where(TeamMember.workspace_id == workspace_id)
                                            .order_by(TeamMember.team_id)):
        found.setdefault(user_id, []).append(team_id)
    return found


def skills_by_user(session: Session, workspace_id: int) -> dict[int, dict[str, list[str]]]:
    """Each user's routing skills (``languages``, ``networks``; empty: any)."""
    return {user_id: {"languages": list((skills or {}).get("languages") or []),
                      "networks": list((skills or {}).get("networks") or [])}
            for user_id, skills in session.execute(select(AgentProfile.user_id, AgentProfile.skills)
                                                   .where(AgentProfile.workspace_id == workspace_id))}
