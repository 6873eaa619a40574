"""The demo's tokens part: the admin is an instance admin; the analyst's one read-only token (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.demo_admin import tokens
from compris.models import ApiToken, User, Workspace
from tests.conftest import World


def test_demo_tokens(world: World) -> None:
    with world.runtime.db.transaction() as session:
        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        analyst = accounts.create_user(session, workspace=workspace, email="ana@acme.test", name="Ana",
                                       password="correct horse battery", role="analyst")
        analyst_id = analyst.id
    users = {"admin": world.admin.id, "agent-fr": world.agent.id, "analyst": analyst_id}
    tokens.load(world.runtime, world.workspace_id, users)
    tokens.load(world.runtime, world.workspace_id, users)  # again: nothing more
    with world.runtime.db.transaction() as session:
        assert session.get(User, world.admin.id).instance_admin is True  # type: ignore[union-attr]
        rows = session.scalars(select(ApiToken)).all()
        assert [(t.user_id, t.scopes, t.name) for t in rows] == [(analyst_id, "read", tokens.ANALYST_TOKEN)]
        assert rows[0].expires_at is not None


def test_demo_tokens_find_the_workspaces_analyst(world: World) -> None:
    with world.runtime.db.transaction() as session:
        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        analyst_id = accounts.create_user(session, workspace=workspace, email="ana@acme.test", name="Ana",
                                          password="correct horse battery", role="analyst").id
    tokens.load(world.runtime, world.workspace_id, {"admin": world.admin.id})
    with world.runtime.db.transaction() as session:
        assert [(t.user_id, t.scopes) for t in session.scalars(select(ApiToken))] == [(analyst_id, "read")]


def test_demo_tokens_without_an_analyst(world: World) -> None:
    tokens.load(world.runtime, world.workspace_id, {"admin": world.admin.id})
    with world.runtime.db.transaction() as session:
        assert session.scalars(select(ApiToken)).all() == []
