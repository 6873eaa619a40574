"""The demo's audit log: the stories' own actions are already there (every reply, assignment and setting of the
loader made its entry); this adds what a real week shows — sign-ins from browsers (one failed), a supervisor's
settings change with its before/after, a token made on the command line — then seals everything, so that the page
opens on "Chain verified". Call it last: the entries written after it are sealed by the worker within seconds."""

from __future__ import annotations

from sqlalchemy import select

from compris import bus
from compris.accounts import actions as accounts
from compris.auditlog import actions as audit_log
from compris.events import LoginFailed, UserSignedIn, UserSignedOut
from compris.kit import origin
from compris.models import ApiToken, Team, User
from compris.routing import actions as routing
from compris.runtime import Runtime

#: documentation addresses (RFC 5737): the demo's "browsers"
OFFICE_IP = "203.0.113.24"
HOME_IP = "198.51.100.77"
NIGHT_TEAM = "Night watch"


def _browser(ip: str, ref: str) -> origin.Origin:
    return origin.Origin(via="session", ip=ip, ref=f"session:{ref}", request_id=f"demo-{ref}")


def load(runtime: Runtime, workspace_id: int, users: dict[str, int]) -> None:
    admin_id = users["admin"]
    supervisor_id = users.get("supervisor", admin_id)
    agent_id = next((users[k] for k in ("agent-fr", "agent-en", "agent") if k in users), admin_id)
    publisher = runtime.publisher
    with runtime.db.transaction() as session:
        if session.scalar(select(Team.id).where(Team.workspace_id == workspace_id, Team.name == NIGHT_TEAM)):
            return  # loaded already
        origin.mark(session, _browser(HOME_IP, "5e1f0c2a9b7d"))
        bus.emit(session, publisher, LoginFailed(workspace_id=workspace_id, user_id=agent_id, reason="password"))
        bus.emit(session, publisher, UserSignedIn(workspace_id=workspace_id, actor_user_id=agent_id))
    with runtime.db.transaction() as session:
        origin.mark(session, _browser(OFFICE_IP, "a41c77e0d2f3"))
        supervisor = session.get(User, supervisor_id)
        assert supervisor is not None
        bus.emit(session, publisher, UserSignedIn(workspace_id=workspace_id, actor_user_id=supervisor_id))
        team_id = routing.create_team(session, publisher, actor=supervisor, name=NIGHT_TEAM, timezone="UTC",
                                      shift_lines="mon-sun 22:00-23:59").id
    with runtime.db.transaction() as session:  # a later request of the same browser
        origin.mark(session, _browser(OFFICE_IP, "a41c77e0d2f3"))
        supervisor = session.get(User, supervisor_id)
        assert supervisor is not None
        routing.update_team(session, publisher, actor=supervisor, team_id=team_id, timezone="Europe/Paris",
                            shift_lines="mon-sun 22:00-23:59\nmon-sun 00:00-06:00")
        bus.emit(session, publisher, UserSignedOut(workspace_id=workspace_id, actor_user_id=supervisor_id))
    with runtime.db.transaction() as session, origin.acting(origin.Origin(via="cli", ref="cli:create-token")):
        admin = session.get(User, admin_id)
        assert admin is not None
        if session.scalar(select(ApiToken.id).where(ApiToken.user_id == admin_id, ApiToken.name == "Reporting")) \
                is None:
            accounts.create_token(session, admin, "Reporting", publisher=publisher)
    with runtime.db.transaction() as session:
        audit_log.seal(session, workspace_id)
        audit_log.seal(session, None)  # the instance's own entries (a workspace created), if any
