"""Users through the API (admins): list, create with a role and a password, change a role, deactivate (tokens
revoked) — the workspace keeps an active admin, a password or its hash is never answered."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from compris.accounts import actions as accounts
from compris.models import ApiToken, CaseEvent, User
from tests.conftest import World
from tests.web.api.helpers import auth, token

PASSWORD = "correct horse battery staple"


def admin_token(world: World, user: User | None = None) -> str:
    """An API token with the ``admin`` scope (managing people needs it)."""
    raw = token(world, user or world.admin)
    with world.runtime.db.transaction() as s:
        s.execute(update(ApiToken).where(ApiToken.prefix == raw[:10]).values(scopes="read write admin"))
    return raw


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(admin_token(world))


def user_count(world: World) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def user_audit(world: World) -> list[tuple[str, int | None, object]]:
    with world.runtime.db.transaction() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                 CaseEvent.actor_user_id == world.admin.id).order_by(CaseEvent.id))
        return [(r.kind, r.data.get("entity_id") or r.data.get("user_id"), r.data.get("changes")) for r in rows
                if r.kind == "user_created" or r.data.get("entity") == "user"]


def test_create_list_change_and_deactivate(client: TestClient, world: World, admin_headers: dict[str, str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # given a new supervisor
    created = client.post("/api/v1/users", headers=admin_headers, json={
        "email": "Ines@Acme.test", "name": "Inès Moreau", "role": "supervisor", "language": "fr",
        "password": PASSWORD})
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["email"], user["name"], user["role"], user["language"], user["is_active"], user["last_login_at"]) \
        == ("ines@acme.test", "Inès Moreau", "supervisor", "fr", True, None)
    assert PASSWORD not in created.text and "password" not in created.text and "argon2" not in created.text
    assert PASSWORD not in caplog.text
    # then she can sign in with that password, and is listed
    with world.runtime.db.transaction() as s:
        signed_in = accounts.authenticate(s, "ines@acme.test", PASSWORD, ip="127.0.0.1", max_failures=5)
        assert signed_in is not None and signed_in.id == user["id"]
    listed = client.get("/api/v1/users", headers=admin_headers).json()["items"]
    assert [u["email"] for u in listed] == ["admin@acme.test", "agent@acme.test", "ines@acme.test"]
    assert all(set(u) == {"id", "email", "name", "role", "language", "is_active", "last_login_at", "created_at",
                          "team_ids", "sso_linked"} for u in listed)

    # when she is made admin, and the agent deactivated
    promoted = client.patch(f"/api/v1/users/{user['id']}", json={"role": "admin"}, headers=admin_headers)
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    agent_token = auth(token(world, world.agent))
    off = client.patch(f"/api/v1/users/{world.agent.id}", json={"is_active": False}, headers=admin_headers)
    assert off.status_code == 200 and off.json()["is_active"] is False
    # then the agent's token stops working, the agent is still listed (to be brought back)
    assert client.get("/api/v1/me", headers=agent_token).status_code == 401
    listed = {u["id"]: u for u in client.get("/api/v1/users", headers=admin_headers).json()["items"]}
    assert listed[world.agent.id]["is_active"] is False
    back = client.patch(f"/api/v1/users/{world.agent.id}", json={"is_active": True}, headers=admin_headers)
    assert back.json()["is_active"] is True
    assert client.get("/api/v1/me", headers=agent_token).status_code == 401  # revoked: it stays so
    assert client.get("/api/v1/me", headers=auth(token(world, world.agent))).status_code == 200  # a new one works
    # and the first admin may now step down (another admin is active)
    down = client.patch(f"/api/v1/users/{world.admin.id}", json={"role": "supervisor"}, headers=admin_headers)
    assert down.status_code == 200 and down.json()["role"] == "supervisor"
    assert user_audit(world) == [("user_created", user["id"], None), ("settings_changed", user["id"], ["role"]),
                                 ("settings_changed", world.agent.id, ["is_active"]),
                                 ("settings_changed", world.agent.id, ["is_active"]),
                                 ("settings_changed", world.admin.id, ["role"])]


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("patch", "/users/{admin}", {"role": "agent"}, 409, "the workspace needs an active admin"),
    ("patch", "/users/{admin}", {"is_active": False}, 409, "the workspace needs an active admin"),
    ("post", "/users", {"email": "agent@acme.test", "password": PASSWORD}, 409, "a user with that e-mail exists"),
    ("post", "/users", {"email": "not-an-address", "password": PASSWORD}, 422, "that is not an e-mail address"),
    ("post", "/users", {"email": "new@acme.test", "password": "short"}, 422, "invalid request"),
    ("post", "/users", {"email": "new@acme.test", "password": PASSWORD, "role": "owner"}, 422, "invalid request"),
    ("patch", "/users/999999", {"role": "agent"}, 404, "no such user"),
])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client: TestClient, world: World,
                                                     admin_headers: dict[str, str], method: str, path: str,
                                                     body: dict[str, object], status: int, message: str) -> None:
    before = (user_count(world), user_audit(world))
    response = client.request(method, "/api/v1" + path.replace("{admin}", str(world.admin.id)), json=body,
                              headers=admin_headers)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert PASSWORD not in response.text and "short" not in response.text
    assert (user_count(world), user_audit(world)) == before
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None and (admin.role, admin.is_active) == ("admin", True)


def test_for_admins_of_the_workspace_only(client: TestClient, world: World, other_world: World,
                                          agent_headers: dict[str, str]) -> None:
    for method, path, body in (("get", "/api/v1/users", None),
                               ("post", "/api/v1/users", {"email": "x@acme.test", "password": PASSWORD}),
                               ("patch", f"/api/v1/users/{world.agent.id}", {"role": "admin"})):
        assert client.request(method, path, json=body, headers=agent_headers).status_code == 403, path
        assert client.request(method, path, json=body).status_code == 401, path
    other_admin = auth(admin_token(other_world))
    assert client.patch(f"/api/v1/users/{world.agent.id}", json={"is_active": False},
                        headers=other_admin).status_code == 404
    listed = client.get("/api/v1/users", headers=other_admin).json()["items"]
    assert {u["email"] for u in listed} == {"admin@globex.test", "agent@globex.test"}
    with world.runtime.db.transaction() as s:
        agent = s.get(User, world.agent.id)
        assert agent is not None and (agent.role, agent.is_active) == ("agent", True)
