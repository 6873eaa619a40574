"""Exporting a contact's personal data from the contact page and the API: admins only, one workspace, a ZIP
download, recorded as an action."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris import bus
from compris.accounts import actions as accounts
from compris.config import Settings
from compris.events import ContactExported
from compris.kit.clock import now
from compris.models import ApiToken, User
from compris.runtime import Runtime
from tests.conftest import World
from tests.privacy.helpers import PNG, Rich, build, loads, unzip
from tests.web.api.helpers import auth, token
from tests.web.test_pages import PASSWORD, Agent, make_client


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return make_client(settings, runtime)


@pytest.fixture
def rich(client: TestClient, world: World) -> Rich:
    return build(client, world)


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> list[ContactExported]:
    seen: list[ContactExported] = []
    original = bus.emit

    def spy(session: Any, publisher: Any, event: Any) -> None:
        if isinstance(event, ContactExported):
            seen.append(event)
        original(session, publisher, event)

    monkeypatch.setattr(bus, "emit", spy)
    return seen


def _user(world: World, role: str) -> User:
    with world.runtime.db.transaction() as session:
        from compris.models import Workspace

        workspace = session.get(Workspace, world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(session, workspace=workspace, email=f"{role}2@{world.workspace.slug}.test",
                                    name=f"{role.title()} two", password=PASSWORD, role=role)
        session.expunge(user)
        return user


def _admin_token(world: World, user: User) -> dict[str, str]:
    raw = token(world, user)
    with world.runtime.db.transaction() as session:
        for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            row.scopes = "read write admin"
    return auth(raw)


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_admin_downloads_the_archive_from_the_contact_page(
        client: TestClient, world: World, rich: Rich, exported: list[ContactExported]) -> None:
    admin = Agent(client, world.admin.email)
    page = admin.get(f"/contacts/{rich.contact_id}")
    assert page.status_code == 200
    assert f'action="/contacts/{rich.contact_id}/export"' in page.text and "Export personal data" in page.text
    assert 'id="personal-data-title"' in page.text

    response = admin.post(f"/contacts/{rich.contact_id}/export")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/zip"
    name = f"compris-contact-{rich.contact_id}-{now().date().isoformat()}.zip"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.headers["cache-control"] == "no-store"
    files = unzip(response.content)
    index = {f["upload_id"]: f for f in loads(files, "attachments/index.json")["files"]}
    assert files[index[rich.inbound_upload_id]["path"]] == PNG
    assert "by Admin acme" in files["README.txt"].decode()
    (event,) = exported
    assert event.actor_user_id == world.admin.id and event.contact_id == rich.contact_id


def test_the_page_speaks_french(client: TestClient, world: World, rich: Rich) -> None:
    with world.runtime.db.transaction() as session:
        row = session.get(User, world.admin.id)
        assert row is not None
        row.language = "fr"
    page = Agent(client, world.admin.email).get(f"/contacts/{rich.contact_id}")
    assert "Exporter les données personnelles" in page.text and "Données personnelles" in page.text


@pytest.mark.parametrize("role", ["agent", "supervisor", "analyst"])
def test_other_roles_neither_see_nor_use_it(client: TestClient, world: World, rich: Rich, role: str,
                                           exported: list[ContactExported]) -> None:
    user = world.agent if role == "agent" else _user(world, role)
    browser = Agent(client, user.email)
    page = browser.get(f"/contacts/{rich.contact_id}")
    assert page.status_code == 200 and "/export" not in page.text and "Export personal data" not in page.text
    response = browser.post(f"/contacts/{rich.contact_id}/export")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html") and exported == []


def test_without_the_csrf_token_nothing_is_exported(client: TestClient, world: World, rich: Rich,
                                                     exported: list[ContactExported]) -> None:
    admin = Agent(client, world.admin.email)
    response = admin.post(f"/contacts/{rich.contact_id}/export", csrf=False)
    assert response.status_code in (400, 403) and exported == []


def test_another_workspace_contact_is_not_found_on_the_page(
        client: TestClient, world: World, world_factory: Any, rich: Rich, exported: list[ContactExported]) -> None:
    other = world_factory("globex")
    response = Agent(client, other.admin.email).post(f"/contacts/{rich.contact_id}/export")
    assert response.status_code == 404 and exported == []
    assert "application/zip" not in response.headers["content-type"]


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_answers_the_archive(client: TestClient, world: World, rich: Rich,
                                     exported: list[ContactExported]) -> None:
    response = client.get(f"/api/v1/contacts/{rich.contact_id}/export", headers=_admin_token(world, world.admin))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f"compris-contact-{rich.contact_id}-" in response.headers["content-disposition"]
    files = unzip(response.content)
    assert loads(files, "contact.json")["contact"]["id"] == rich.contact_id
    assert "EXPORT DE DONNÉES PERSONNELLES" in files["README.txt"].decode()
    (event,) = exported
    assert event.actor_user_id == world.admin.id


def test_the_api_refuses_other_roles_and_narrow_tokens(client: TestClient, world: World, rich: Rich,
                                                       exported: list[ContactExported]) -> None:
    path = f"/api/v1/contacts/{rich.contact_id}/export"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=_admin_token(world, world.agent)).status_code == 403
    analyst = _user(world, "analyst")
    assert client.get(path, headers=_admin_token(world, analyst)).status_code == 403
    # an admin's token without the admin scope
    narrow = client.get(path, headers=auth(token(world, world.admin, scopes="read write")))
    assert narrow.status_code == 403 and "scope" in narrow.json()["error"]
    assert exported == []


def test_the_api_hides_another_workspace_contact(client: TestClient, world: World, world_factory: Any,
                                                 rich: Rich, exported: list[ContactExported]) -> None:
    other = world_factory("globex")
    response = client.get(f"/api/v1/contacts/{rich.contact_id}/export", headers=_admin_token(other, other.admin))
    assert response.status_code == 404 and response.json()["error"] == "no such contact"
    assert client.get("/api/v1/contacts/999999/export",
                      headers=_admin_token(world, world.admin)).status_code == 404
    assert exported == []


def test_the_api_documents_the_route(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    op = document["paths"]["/api/v1/contacts/{contact_id}/export"]["get"]
    assert "application/zip" in op["responses"]["200"]["content"]
    assert {"401", "403", "404", "422"} <= set(op["responses"]) and "notes.json" in op["description"]
