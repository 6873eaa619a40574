"""The demo's people: a second supervisor, an analyst, a deactivated agent and a pending invitation, in the teams;
the demo agents sign their replies (``{agent_signature}``)."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.accounts import actions as accounts
from compris.accounts import invitations
from compris.models import Invitation, Team, TeamMember, User, Workspace
from compris.routing import actions as routing
from compris.runtime import Runtime

#: the demo's new people: (e-mail, name, role, language, the team they join: "fr" or "en", active)
PEOPLE = (
    ("margaux@demo.compris.example", "Margaux Lefebvre", "supervisor", "fr", "en", True),
    ("theo@demo.compris.example", "Théo Garnier (analyst)", "analyst", "fr", None, True),
    ("oliver@demo.compris.example", "Oliver Brandt", "agent", "en", "en", False),
)
INVITED = ("lea@demo.compris.example", "Léa Fontaine", "agent", "fr")
SIGNATURES = {
    "fr": "{first}\nService clients — {brand}",
    "en": "{first}\nCustomer care — {brand}",
}


def _password() -> str:
    data = json.loads((resources.files("compris") / "demo_data" / "stories.json").read_text(encoding="utf-8"))
    return str(data["password"])


def _team(session: Session, workspace_id: int, language: str, admin: User, runtime: Runtime) -> int:
    teams = session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id)).all()
    english = [t for t in teams if "english" in t.name.lower() or t.name.lower().endswith(" en")]
    french = [t for t in teams if t not in english]
    found = (english if language == "en" else french) or list(teams)
    if found:
        return found[0].id
    return routing.create_team(session, runtime.publisher, actor=admin,
                               name="English desk" if language == "en" else "Équipe FR").id


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    password = _password()
    with runtime.db.transaction() as session:
        workspace = session.get(Workspace, workspace_id)
        admin = session.get(User, users["admin"])
        assert workspace is not None and admin is not None
        for user_id in users.values():  # the agents' signatures
            user = session.get(User, user_id)
            if user is not None and user.role in ("agent", "supervisor") and not user.signature:
                first = user.name.split()[0] if user.name.split() else user.name
                accounts.update_profile(session, user=user, signature=SIGNATURES[
                    "fr" if user.language == "fr" else "en"].format(first=first, brand=workspace.name),
                    publisher=runtime.publisher)
        for email, name, role, language, team, active in PEOPLE:
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                continue
            user = accounts.create_user(session, workspace=workspace, email=email, name=name, password=password,
                                        role=role, language=language, actor_user_id=admin.id,
                                        publisher=runtime.publisher)
            if role != "analyst":
                accounts.update_profile(session, user=user, signature=SIGNATURES[language].format(
                    first=name.split()[0], brand=workspace.name), publisher=runtime.publisher)
            if team is not None:
                team_id = _team(session, workspace_id, team, admin, runtime)
                if session.scalar(select(TeamMember.id).where(TeamMember.team_id == team_id,
                                                              TeamMember.user_id == user.id)) is None:
                    routing.add_member(session, runtime.publisher, actor=admin, team_id=team_id, user_id=user.id)
            if not active:
                accounts.update_user(session, actor=admin, user_id=user.id, active=False,
                                     publisher=runtime.publisher)
        email, name, role, language = INVITED
        if session.scalar(select(Invitation.id).where(Invitation.email == email)) is None and \
                session.scalar(select(User.id).where(User.email == email)) is None:
            invitations.invite(session, runtime.publisher, workspace_id=workspace_id, email=email, name=name,
                               role=role, team_ids=[_team(session, workspace_id, "fr", admin, runtime)],
                               language=language, invited_by=admin, base_url=runtime.settings.base_url,
                               secret_key=runtime.settings.secret_key)
