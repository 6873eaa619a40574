"""Authentication: a personal token, or 401 with ``WWW-Authenticate: Bearer``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from compris.accounts import actions as accounts
from compris.models import ApiToken, User
from tests.conftest import World
from tests.web.api.helpers import auth, token

ENDPOINTS = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases/1"),
    ("POST", "/api/v1/cases/1/replies"),
    ("POST", "/api/v1/cases/1/notes"),
    ("POST", "/api/v1/cases/1/assign"),
    ("POST", "/api/v1/cases/1/status"),
    ("GET", "/api/v1/messages/1"),
    ("POST", "/api/v1/messages/1/retry"),
    ("GET", "/api/v1/channels"),
]


def _assert_401(response: object) -> None:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": "a valid personal API token is required"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_token(client: TestClient, world: World, method: str, path: str) -> None:
    # an invalid body too: authentication is checked first, so nothing about the input leaks
    _assert_401(client.request(method, path, json={"bogus": True}))


@pytest.mark.parametrize(
    "header",
    ["Bearer cpr_not-a-real-token", "Bearer ", "Basic YWdlbnQ6cGFzcw==", "cpr_without_scheme", "Bearer nope"],
)
def test_an_invalid_token_is_refused(client: TestClient, world: World, header: str) -> None:
    _assert_401(client.get("/api/v1/me", headers={"Authorization": header}))


def test_a_revoked_token_is_refused(client: TestClient, world: World) -> None:
    raw = token(world, world.agent)
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with world.runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        token_id = session.query(ApiToken.id).filter(ApiToken.user_id == user.id).scalar()
        accounts.revoke_token(session, user, token_id)
    _assert_401(client.get("/api/v1/me", headers=auth(raw)))


def test_a_deactivated_users_token_is_refused(client: TestClient, world: World) -> None:
    raw = token(world, world.agent)
    with world.runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        user.is_active = False
    _assert_401(client.get("/api/v1/cases", headers=auth(raw)))


def test_me_describes_the_token_user_and_workspace(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/me", headers=auth(token(world, world.agent)))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "id": world.agent.id,
        "email": "agent@acme.test",
        "name": "Agent acme",
        "role": "agent",
        "language": "en",
        "workspace": {"id": world.workspace_id, "slug": "acme", "name": "Acme", "timezone": "UTC"},
    }


def test_a_session_cookie_is_not_enough(client: TestClient, world: World) -> None:
    # the API ignores the UI's cookie: a page's session cannot be used to call it (no CSRF exposure)
    client.post("/login", data={"email": "agent@acme.test", "password": "correct horse battery"})
    _assert_401(client.get("/api/v1/me"))
