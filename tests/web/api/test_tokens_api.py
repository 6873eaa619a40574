"""API tokens through the API: scopes enforced on real routes, expiry, last use, `/me/tokens`, shown once."""

from __future__ import annotations

import importlib
import typing
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.kit.clock import set_now
from compris.models import ApiToken, User
from tests.conftest import World
from tests.web.api.helpers import auth


def _token(world: World, user: User, scopes: str, **kw: object) -> str:
    with world.runtime.db.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        _, raw = accounts.create_token(session, row, scopes, scopes=scopes, **kw)  # type: ignore[arg-type]
    return raw


def _instance_admin(world: World, user: User) -> None:
    with world.runtime.db.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.instance_admin = True


def _checked(endpoint: str) -> None:
    """The route's handler (``module:function``) is guarded by a permission (``api_permission``): only then does it
    check the token's scopes."""
    module, name = endpoint.split(":")
    handler = getattr(importlib.import_module(module), name)
    for hint in typing.get_type_hints(handler, include_extras=True).values():
        if any(hasattr(getattr(m, "dependency", None), "permission") for m in getattr(hint, "__metadata__", ())):
            return
    raise AssertionError(f"{endpoint} checks no permission")


def test_a_read_token_reads_but_cannot_write(client: TestClient, world: World) -> None:
    headers = auth(_token(world, world.agent, "read"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me/tokens", headers=headers).status_code == 200
    refused = client.post("/api/v1/me/tokens", headers=headers, json={"name": "more"})
    assert refused.status_code == 403
    assert refused.json() == {"error": "this token's scopes do not allow this: it needs the 'write' scope"}


def test_write_and_admin_scopes_on_admin_routes(client: TestClient, world: World) -> None:
    _instance_admin(world, world.admin)
    write = auth(_token(world, world.admin, "write"))
    admin = auth(_token(world, world.admin, "admin"))
    assert client.post("/api/v1/me/tokens", headers=write, json={"name": "ok", "scopes": ["read"]}).status_code == 201
    refused = client.get("/api/v1/instance/workspaces", headers=write)
    assert refused.status_code == 403 and "'admin' scope" in refused.json()["error"]
    assert client.get("/api/v1/instance/workspaces", headers=admin).status_code == 200


@pytest.mark.parametrize(("method", "path", "needed", "endpoint"), [
    ("GET", "/api/v1/cases", "read", "compris.web.api.cases:list_cases"),
    ("POST", "/api/v1/cases/{case}/notes", "write", "compris.web.api.cases:create_note"),
    ("GET", "/api/v1/users", "admin", "compris.web.api.users:list_users"),
])
def test_scopes_on_the_cases_and_users_routes(client: TestClient, world: World, method: str, path: str,
                                              needed: str, endpoint: str) -> None:
    _checked(endpoint)
    from tests.web.api.helpers import deliver

    deliver(client, world, "Where is my parcel?")
    url = path.replace("{case}", "1")
    body = {"text": "checked"} if method == "POST" else None
    order = ["read", "write", "admin"]
    for scope in order:
        response = client.request(method, url, headers=auth(_token(world, world.admin, scope)), json=body)
        if order.index(scope) < order.index(needed):
            assert response.status_code == 403, (scope, response.text)
            assert f"'{needed}' scope" in response.json()["error"]
        else:
            assert response.status_code in (200, 201), (scope, response.text)


def test_an_agent_cannot_make_an_admin_token_nor_a_token_a_stronger_one(client: TestClient, world: World) -> None:
    agent = auth(_token(world, world.agent, "write"))
    refused = client.post("/api/v1/me/tokens", headers=agent, json={"name": "root", "scopes": ["admin"]})
    assert refused.status_code == 422 and "'admin' scope" in refused.json()["error"]
    admin_write = auth(_token(world, world.admin, "write"))
    stronger = client.post("/api/v1/me/tokens", headers=admin_write, json={"name": "root", "scopes": ["admin"]})
    assert stronger.status_code == 422 and "more scopes than its own" in stronger.json()["error"]
    assert client.post("/api/v1/me/tokens", headers=agent, json={"name": "x", "scopes": ["sudo"]}).status_code == 422


def test_an_expired_token_gets_401(client: TestClient, world: World) -> None:
    t0 = datetime.now(UTC)
    raw = _token(world, world.agent, "read", expires_in_days=1)
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    set_now(lambda: t0 + timedelta(days=1, seconds=1))
    try:
        response = client.get("/api/v1/me", headers=auth(raw))
    finally:
        set_now(None)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_me_tokens_create_list_revoke_and_shown_once(client: TestClient, world: World) -> None:
    headers = auth(_token(world, world.agent, "write"))
    made = client.post("/api/v1/me/tokens", headers=headers,
                       json={"name": "CRM sync", "scopes": ["read"], "expires_in_days": 30})
    assert made.status_code == 201, made.text
    body = made.json()
    raw = body["token"]
    assert raw.startswith(body["prefix"]) and body["scopes"] == ["read"] and body["state"] == "active"
    assert body["expires_at"] is not None and body["last_used_at"] is None
    # the new token works, and its use is noted
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    listed = client.get("/api/v1/me/tokens", headers=headers)
    assert listed.status_code == 200
    assert raw not in listed.text and "token_hash" not in listed.text
    item = next(i for i in listed.json()["items"] if i["id"] == body["id"])
    assert item["last_used_at"] is not None and "token" not in item
    # at a date
    at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    dated = client.post("/api/v1/me/tokens", headers=headers, json={"name": "dated", "expires_at": at})
    assert dated.status_code == 201 and dated.json()["state"] == "expiring"
    past = client.post("/api/v1/me/tokens", headers=headers,
                       json={"name": "past", "expires_at": "2020-01-01T00:00:00+00:00"})
    assert past.status_code == 422
    # another user's token is "not found"; one's own is revoked and stops working
    other = _token(world, world.admin, "read")
    with world.runtime.db.transaction() as session:
        others = session.scalars(select(ApiToken.id).where(ApiToken.user_id == world.admin.id)).all()
    assert client.delete(f"/api/v1/me/tokens/{others[0]}", headers=headers).status_code == 404
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    assert client.delete(f"/api/v1/me/tokens/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 401
    states = {i["id"]: i["state"] for i in client.get("/api/v1/me/tokens", headers=headers).json()["items"]}
    assert states[body["id"]] == "revoked"


def test_the_analyst_reads_me(client: TestClient, world: World) -> None:
    with world.runtime.db.transaction() as session:
        from compris.models import Workspace

        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        analyst = accounts.create_user(session, workspace=workspace, email="analyst@acme.test", name="Ana",
                                       password="correct horse battery", role="analyst")
    response = client.get("/api/v1/me", headers=auth(_token(world, analyst, "read")))
    assert response.status_code == 200 and response.json()["role"] == "analyst"


def test_the_guard_detection_sees_the_permission_aliases() -> None:
    _checked("compris.web.api.me:list_tokens")  # does not skip: /me/tokens is guarded (OwnAccountApi)
    _checked("compris.web.api.instance:create_workspace")


def test_a_token_never_makes_one_that_outlives_it(client: TestClient, world: World) -> None:
    short = auth(_token(world, world.agent, "write", expires_in_days=10))
    forever = client.post("/api/v1/me/tokens", headers=short, json={"name": "forever"})
    assert forever.status_code == 422 and "outlives it" in forever.json()["error"]
    assert client.post("/api/v1/me/tokens", headers=short,
                       json={"name": "longer", "expires_in_days": 11}).status_code == 422
    assert client.post("/api/v1/me/tokens", headers=short,
                       json={"name": "shorter", "expires_in_days": 9}).status_code == 201
    # a token that never expires may make one that never expires
    assert client.post("/api/v1/me/tokens", headers=auth(_token(world, world.agent, "write")),
                       json={"name": "forever"}).status_code == 201
