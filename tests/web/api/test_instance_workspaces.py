"""Workspaces made by an instance admin: the page, the API, the defaults, the first admin's invitation, and
isolation both ways (the new workspace's admin sees nothing of the others, and they nothing of it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.accounts import invitations
from compris.config import Settings
from compris.models import Invitation, ReplyTemplate, SlaPolicy, User, Workspace
from compris.runtime import Runtime
from tests.conftest import SECRET, World
from tests.web.api.helpers import auth, deliver
from tests.web.test_pages import Agent, make_client

NEW = {"slug": "newco", "name": "NewCo", "timezone": "Europe/Paris", "default_language": "fr",
       "admin_email": "Boss@NewCo.test", "admin_name": "Bea Boss"}


def _flag(world: World, user: User, on: bool = True) -> None:
    with world.runtime.db.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.instance_admin = on


def _token(world: World, user_id: int, scopes: str = "admin") -> dict[str, str]:
    with world.runtime.db.transaction() as session:
        row = session.get(User, user_id)
        assert row is not None
        return auth(accounts.create_token(session, row, "t", scopes=scopes)[1])


def _accept(world: World, link: str) -> int:
    assert link.startswith("http://testserver/invitations/")
    with world.runtime.db.transaction() as session:
        user = invitations.accept(session, world.runtime.publisher, token=link.rsplit("/", 1)[1],
                                  password="correct horse battery", name="", secret_key=SECRET)
        return user.id


def test_only_instance_admins_reach_the_workspaces(client: TestClient, settings: Settings, runtime: Runtime,
                                                   world: World) -> None:
    admin = _token(world, world.admin.id)
    # a workspace admin without the flag: 403, on the API (even with the admin scope) and on the page
    assert client.get("/api/v1/instance/workspaces", headers=admin).status_code == 403
    assert client.post("/api/v1/instance/workspaces", headers=admin, json=NEW).status_code == 403
    browser = Agent(make_client(settings, runtime), world.admin.email)
    assert browser.get("/instance/workspaces").status_code == 403
    assert browser.post("/instance/workspaces", dict(NEW)).status_code == 403
    assert 'href="/instance/workspaces"' not in browser.get("/settings").text
    with runtime.db.transaction() as session:
        assert session.scalar(select(Workspace).where(Workspace.slug == "newco")) is None
    # with the flag: the link in the settings hub, the page, the API
    _flag(world, world.admin)
    assert 'href="/instance/workspaces"' in browser.get("/settings").text
    page = browser.get("/instance/workspaces")
    assert page.status_code == 200 and "Acme" in page.text
    listed = client.get("/api/v1/instance/workspaces", headers=admin).json()["items"]
    assert [(w["slug"], w["users"], w["cases"]) for w in listed] == [("acme", 2, 0)]


def test_an_instance_admin_creates_a_workspace_on_the_page(settings: Settings, runtime: Runtime,
                                                           world: World) -> None:
    _flag(world, world.agent)  # the flag, not the role: an agent may be an instance admin
    browser = Agent(make_client(settings, runtime), world.agent.email)
    bad = browser.post("/instance/workspaces", {**NEW, "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and 'id="ws-timezone-error"' in bad.text and 'value="NewCo"' in bad.text
    taken = browser.post("/instance/workspaces", {**NEW, "slug": "acme"})
    assert taken.status_code == 422 and 'id="ws-slug-error"' in taken.text
    clash = browser.post("/instance/workspaces", {**NEW, "admin_email": world.admin.email})
    assert clash.status_code == 422 and 'id="ws-admin_email-error"' in clash.text
    with runtime.db.transaction() as session:  # nothing of the refused attempts remains
        assert session.scalar(select(Workspace).where(Workspace.slug == "newco")) is None
    made = browser.post("/instance/workspaces", dict(NEW))
    assert made.status_code == 201
    assert 'id="workspace-created"' in made.text and "/invitations/" in made.text
    with runtime.db.transaction() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.slug == "newco"))
        assert workspace is not None
        assert (workspace.name, workspace.timezone, workspace.default_language) == ("NewCo", "Europe/Paris", "fr")
        invitation = session.scalar(select(Invitation).where(Invitation.workspace_id == workspace.id))
        assert invitation is not None
        assert (invitation.email, invitation.role, invitation.language) == ("boss@newco.test", "admin", "fr")
        # the defaults: reply templates (FR/EN) and the standard SLA policy, written by nobody of another workspace
        templates = session.scalars(select(ReplyTemplate).where(ReplyTemplate.workspace_id == workspace.id)).all()
        assert templates and all(t.created_by_id is None for t in templates)
        policies = session.scalars(select(SlaPolicy).where(SlaPolicy.workspace_id == workspace.id)).all()
        assert [(p.name, p.first_response_s) for p in policies] == [("Standard", 3600)]
        # the instance admin did not join it
        assert session.scalar(select(User.id).where(User.workspace_id == workspace.id)) is None


def test_the_new_workspace_and_the_others_see_nothing_of_each_other(client: TestClient, settings: Settings,
                                                                    runtime: Runtime, world: World) -> None:
    deliver(client, world, "Acme: my bag is lost, booking ZX81", author="marie")
    _flag(world, world.admin)
    acme = _token(world, world.admin.id)
    made = client.post("/api/v1/instance/workspaces", headers=acme, json=NEW)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    assert body["workspace"]["slug"] == "newco" and body["invitation_sent"] is False
    boss_id = _accept(world, body["invitation_link"])
    boss = _token(world, boss_id)
    # the first admin of the new workspace: its own defaults, nothing of Acme's
    me = client.get("/api/v1/me", headers=boss).json()
    assert me["workspace"]["slug"] == "newco" and me["role"] == "admin"
    assert client.get("/api/v1/cases", headers=boss, params={"status": "all"}).json()["items"] == []
    assert client.get("/api/v1/cases/1", headers=boss).status_code == 404
    assert client.get("/api/v1/channels", headers=boss).json()["items"] == []
    assert [u["email"] for u in client.get("/api/v1/users", headers=boss).json()["items"]] == ["boss@newco.test"]
    assert client.get("/api/v1/sla/policies", headers=boss).json()["items"][0]["name"] == "Standard"
    boss_templates = {t["id"] for t in client.get("/api/v1/templates", headers=boss).json()["items"]}
    assert boss_templates
    drill = client.get("/api/v1/analytics/cases", headers=boss, params={"measure": "backlog"})
    assert drill.status_code == 200 and drill.json()["total"] == 0
    assert client.get("/api/v1/instance/workspaces", headers=boss).status_code == 403  # not an instance admin
    with runtime.db.transaction() as session:
        from compris.models import Contact

        contact_id = session.scalar(select(Contact.id).where(Contact.workspace_id == world.workspace_id))
    assert client.get(f"/api/v1/contacts/{contact_id}", headers=boss).status_code == 404
    # its pages
    browser = Agent(make_client(settings, runtime), "boss@newco.test")
    inbox = browser.get("/inbox?status=all").text
    assert "ZX81" not in inbox and "marie" not in inbox.lower()
    assert browser.get(f"/contacts/{contact_id}").status_code == 404
    reports = browser.get("/reports")
    assert reports.status_code == 200 and "ZX81" not in reports.text
    # and Acme sees nothing of it
    assert "boss@newco.test" not in client.get("/api/v1/users", headers=acme).text
    acme_templates = {t["id"] for t in client.get("/api/v1/templates", headers=acme).json()["items"]}
    assert not acme_templates & boss_templates
    for template_id in boss_templates:
        assert client.get(f"/api/v1/templates/{template_id}", headers=acme).status_code == 404
    assert [p["name"] for p in client.get("/api/v1/sla/policies", headers=acme).json()["items"]] == []
    listed = {w["slug"]: w for w in client.get("/api/v1/instance/workspaces", headers=acme).json()["items"]}
    assert (listed["newco"]["users"], listed["newco"]["cases"]) == (1, 0)
    assert (listed["acme"]["users"], listed["acme"]["cases"]) == (2, 1)


@pytest.mark.parametrize(("field", "value"), [("slug", "Bad Slug"), ("timezone", "Nowhere/Else"),
                                              ("admin_email", "not-an-address"), ("default_language", "de")])
def test_bad_input_to_the_api_is_422(client: TestClient, world: World, field: str, value: str) -> None:
    _flag(world, world.admin)
    response = client.post("/api/v1/instance/workspaces", headers=_token(world, world.admin.id),
                           json={**NEW, field: value})
    assert response.status_code == 422, response.text


def test_cli_grant_instance_admin_and_create_token(settings: Settings, world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from compris import cli

    monkeypatch.setattr(cli, "_settings", lambda: settings)
    runner = CliRunner()
    granted = runner.invoke(cli.app, ["grant-instance-admin", world.agent.email.upper()])
    assert granted.exit_code == 0 and "is an instance admin" in granted.output
    again = runner.invoke(cli.app, ["grant-instance-admin", world.agent.email])
    assert "(unchanged)" in again.output
    with world.runtime.db.transaction() as session:
        assert session.get(User, world.agent.id).instance_admin is True  # type: ignore[union-attr]
    revoked = runner.invoke(cli.app, ["grant-instance-admin", world.agent.email, "--revoke"])
    assert revoked.exit_code == 0 and "no longer" in revoked.output
    assert runner.invoke(cli.app, ["grant-instance-admin", "nobody@acme.test"]).exit_code == 2
    with world.runtime.db.transaction() as session:
        assert session.get(User, world.agent.id).instance_admin is False  # type: ignore[union-attr]
    # create-token: as before (no option: the broadest scopes the role allows, never expires) ...
    plain = runner.invoke(cli.app, ["create-token", world.admin.email])
    assert plain.exit_code == 0 and plain.output.strip().startswith("cpr_")
    scoped = runner.invoke(cli.app, ["create-token", world.agent.email, "--name", "export", "--scopes", "read",
                                     "--expires-in-days", "30"])
    assert scoped.exit_code == 0, scoped.output
    refused = runner.invoke(cli.app, ["create-token", world.agent.email, "--scopes", "admin"])
    assert refused.exit_code == 2 and "'admin' scope" in refused.output
    from compris.models import ApiToken

    with world.runtime.db.transaction() as session:
        rows = {t.name: t for t in session.scalars(select(ApiToken))}
        assert rows["cli"].scopes == "read write admin" and rows["cli"].expires_at is None
        assert rows["export"].scopes == "read" and rows["export"].expires_at is not None
