"""Reads of accounts: a workspace's users (their teams and skills), invitations, API tokens (a user's own, a
workspace's), a user's open sessions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.models import AgentProfile, ApiToken, Invitation, Team, TeamMember, User, UserSession

#: a token expiring within this is flagged on the tokens page
EXPIRING_SOON = timedelta(days=7)


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


def workspace_tokens(session: Session, workspace_id: int) -> list[tuple[ApiToken, User]]:
    """Every API token of a workspace with its user (an admin's view): the usable ones first, newest first."""
    rows = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                           .where(ApiToken.workspace_id == workspace_id, User.workspace_id == workspace_id)
                           .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()))
    return [(token, user) for token, user in rows]


def token_state(token: ApiToken, at: datetime | None = None, *, soon: timedelta = EXPIRING_SOON) -> str:
    """``revoked``, ``expired``, ``expiring`` (within ``soon``) or ``active``."""
    t = at or now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= t:
        return "expired"
    if token.expires_at is not None and token.expires_at <= t + soon:
        return "expiring"
    return "active"


@dataclass(frozen=True)
class OpenSession:
    """One open session of a user, as "Your sessions" lists it."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str
    #: the browser (or tool: curl...) and the system, read from the user agent ("" where it does not say)
    browser: str
    system: str
    current: bool


def open_sessions(session: Session, user: User, *, idle: timedelta, current: str | None = None) -> list[OpenSession]:
    """``user``'s sessions still open (not signed out, not expired, not idle longer than ``idle``), the most recently
    seen first; ``current`` (this browser's raw session id) is marked."""
    t = now()
    mine = hashlib.sha256(current.encode()).hexdigest() if current else None
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.workspace_id == user.workspace_id,
        UserSession.revoked_at.is_(None), UserSession.expires_at > t, UserSession.last_seen_at > t - idle,
    ).order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [OpenSession(id=r.id, created_at=r.created_at, last_seen_at=r.last_seen_at, ip=r.ip,
                        browser=describe_user_agent(r.user_agent)[0], system=describe_user_agent(r.user_agent)[1],
                        current=r.id_hash == mine) for r in rows]


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_TOOLS = ("curl", "python-requests", "python-httpx", "Wget", "PostmanRuntime", "HeadlessChrome", "testclient")


def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """The browser (or tool) and the system a ``User-Agent`` names: ("Firefox", "Linux"), ("Safari", "iPhone"),
    ("curl", "")... ("", "") when it says nothing known."""
    ua = user_agent.strip()
    for tool in _TOOLS:
        if ua.lower().startswith(tool.lower()) or f" {tool}/" in ua:
            return tool, ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), "")
    system = next((name for marker, name in _SYSTEMS if marker in ua), "")
    return browser, system
