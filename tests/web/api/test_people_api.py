"""People through the API: invite (the link answered, never a password), list, re-send, revoke; change teams and
skills; a read-write token cannot manage people (the admin scope is needed); analysts are listed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.accounts import invitations
from compris.models import TeamMember, User
from compris.routing import actions as routing
from tests.accounts.test_invitations import admin_of
from tests.conftest import World
from tests.web.api.helpers import auth
from tests.web.api.test_admin_users import admin_token


def test_invite_list_resend_revoke(client: TestClient, world: World) -> None:
    headers = auth(admin_token(world))
    made = client.post("/api/v1/invitations", headers=headers, json={
        "email": "Nina@acme.test", "name": "Nina Roux", "role": "analyst", "language": "fr"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["email"], body["role"], body["state"], body["sent_at"]) == ("nina@acme.test", "analyst", "pending",
                                                                            None)
    assert "/invitations/" in body["link"] and "password" not in made.text
    listed = client.get("/api/v1/invitations", headers=headers).json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]
    again = client.post(f"/api/v1/invitations/{body['id']}/resend", headers=headers)
    assert again.status_code == 200 and again.json()["link"] != body["link"]
    twice = client.post("/api/v1/invitations", headers=headers, json={"email": "nina@acme.test"})
    assert twice.status_code == 409 and "pending" in twice.json()["error"]
    gone = client.post(f"/api/v1/invitations/{body['id']}/revoke", headers=headers)
    assert gone.status_code == 200 and gone.json()["state"] == "revoked" and gone.json()["link"] is None
    with world.runtime.db.transaction() as s, pytest.raises(invitations.InvitationRefused):
        invitations.invitation_for_link(s, again.json()["link"].rsplit("/", 1)[1], world.runtime.settings.secret_key)
    assert client.post("/api/v1/invitations/999999/revoke", headers=headers).status_code == 404
    bad = client.post("/api/v1/invitations", headers=headers, json={"email": "x@acme.test", "team_ids": [99999]})
    assert bad.status_code == 422 and "no such team" in bad.json()["error"]


def test_teams_and_skills(client: TestClient, world: World) -> None:
    with world.runtime.db.transaction() as s:
        team_id = routing.create_team(s, world.runtime.publisher, actor=admin_of(s, world), name="Care").id
    headers = auth(admin_token(world))
    changed = client.patch(f"/api/v1/users/{world.agent.id}", headers=headers,
                           json={"team_ids": [team_id], "languages": ["fr"], "networks": ["x"]})
    assert changed.status_code == 200 and changed.json()["team_ids"] == [team_id]
    listed = {u["id"]: u for u in client.get("/api/v1/users", headers=headers).json()["items"]}
    assert listed[world.agent.id]["team_ids"] == [team_id] and listed[world.admin.id]["team_ids"] == []
    out = client.patch(f"/api/v1/users/{world.agent.id}", headers=headers, json={"team_ids": []})
    assert out.json()["team_ids"] == []
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(TeamMember).where(TeamMember.user_id == world.agent.id)).all() == []
    bad = client.patch(f"/api/v1/users/{world.agent.id}", headers=headers, json={"networks": ["myspace"]})
    assert bad.status_code == 422


def test_the_admin_scope_is_needed(client: TestClient, world: World) -> None:
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        _, raw = accounts.create_token(session, admin, "plain", scopes="read write")
    plain = auth(raw)  # an admin's token without the admin scope
    assert client.get("/api/v1/users", headers=plain).status_code == 403
    assert client.post("/api/v1/invitations", headers=plain, json={"email": "x@acme.test"}).status_code == 403
    agent = auth(admin_token(world, world.agent))
    assert client.get("/api/v1/invitations", headers=agent).status_code == 403
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(User).where(User.email == "x@acme.test")) is None


def test_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        spec = client.get("/openapi.json")
    doc = spec.json()
    assert "/api/v1/invitations" in doc["paths"] and "InvitationOut" in doc["components"]["schemas"]
    assert "link" in doc["components"]["schemas"]["InvitationOut"]["properties"]
