"""The people page (admins): invite by the page → the e-mail over real SMTP → the invitation's page → signed in;
without outgoing mail the link is shown to copy; re-send, revoke; role, teams and skills; deactivation ends the
user's sessions and API tokens at once; 422 next to the field; admins only; French; and the invitation and reset
links' pages refuse used or altered links with a 4xx."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.config import Settings
from compris.models import AgentProfile, Invitation, TeamMember, User
from compris.routing import actions as routing
from compris.runtime import Runtime
from tests.accounts.test_invitations import admin_of, configure_mail
from tests.conftest import World
from tests.mail.smtp_server import smtp_server
from tests.web.test_pages import Agent, csrf_of, make_client

LINK = re.compile(r"http://testserver/invitations/[A-Za-z0-9_.-]+")


def accept_page(client: TestClient, link: str, password: str = "a brand new password", **kw: str) -> object:
    path = link.replace("http://testserver", "")
    page = client.get(path)
    assert page.status_code == 200, page.text
    token = csrf_of(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": kw.get("confirm", password),
                                   "name": kw.get("name", "")})


def test_invite_by_mail_accept_and_signed_in(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        team_id = routing.create_team(s, runtime.publisher, actor=admin_of(s, world), name="Care").id
    admin = Agent(make_client(settings, runtime), world.admin.email)
    with smtp_server() as (recorder, port):
        configure_mail(world, port)
        sent = admin.post("/admin/people/invite", {"email": "Nina@Acme.test", "name": "Nina <New>",
                                                   "role": "analyst", "team_ids": [str(team_id)], "language": "en"})
        assert sent.status_code == 303
        page = admin.get(sent.headers["location"])
        assert "Invitation e-mailed to nina@acme.test." in page.text and "Nina &lt;New&gt;" in page.text
        world.run_jobs()
    (message,) = recorder.messages()
    body = message.get_body()
    assert body is not None
    match = LINK.search(body.get_content())
    assert match is not None and "as analyst" in body.get_content()
    guest = make_client(settings, runtime)
    refused = accept_page(guest, match.group(0), confirm="something else")
    assert refused.status_code == 422 and "The two passwords differ." in refused.text  # type: ignore[attr-defined]
    done = accept_page(guest, match.group(0))
    assert done.status_code == 303 and done.headers["location"] == "/inbox"  # type: ignore[attr-defined]
    inbox = guest.get("/inbox")
    assert inbox.status_code == 200 and "Nina &lt;New&gt;" in inbox.text  # signed in as the new user
    with runtime.db.transaction() as s:
        user = s.scalar(select(User).where(User.email == "nina@acme.test"))
        assert user is not None and user.role == "analyst"
        assert s.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).all() == [team_id]
    again = make_client(settings, runtime).get(match.group(0).replace("http://testserver", ""))
    assert again.status_code == 410 and "already accepted" in again.text


def test_without_mail_the_link_is_shown_resend_revoke(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    assert "no outgoing mail yet" in admin.get("/admin/people").text
    sent = admin.post("/admin/people/invite", {"email": "sam@acme.test", "role": "agent", "language": "fr"})
    page = admin.get(sent.headers["location"])
    assert "no e-mail was sent" in page.text
    first = html.unescape(LINK.search(page.text).group(0))  # type: ignore[union-attr]
    with runtime.db.transaction() as s:
        invitation_id = s.scalars(select(Invitation.id)).one()
    resent = admin.post(f"/admin/people/invitations/{invitation_id}/resend")
    page = admin.get(resent.headers["location"])
    second = html.unescape(LINK.search(page.text).group(0))  # type: ignore[union-attr]
    assert second != first
    guest = make_client(settings, runtime)
    old = guest.get(first.replace("http://testserver", ""))
    assert old.status_code == 410 and "latest e-mail" in old.text
    fr = guest.get(second.replace("http://testserver", ""))
    assert fr.status_code == 200 and "Choisissez votre mot de passe" in fr.text  # the invitation's language
    assert admin.post(f"/admin/people/invitations/{invitation_id}/revoke").status_code == 303
    gone = guest.get(second.replace("http://testserver", ""))
    assert gone.status_code == 410 and "withdrawn" in gone.text
    body, _, sig = second.rpartition("/")[2].partition(".")
    tampered = guest.get(f"/invitations/{body}.{sig[:-3]}abc")
    assert tampered.status_code == 400 and "altered" in tampered.text


def test_invite_errors_next_to_fields(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    bad = admin.post("/admin/people/invite", {"email": "nope", "name": "Kept Name", "role": "agent"})
    assert bad.status_code == 422 and 'id="invite-email-error"' in bad.text and 'value="Kept Name"' in bad.text
    taken = admin.post("/admin/people/invite", {"email": world.agent.email, "role": "agent"})
    assert taken.status_code == 422 and "a user with that e-mail exists" in taken.text


def test_role_teams_skills_and_last_admin(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        team_id = routing.create_team(s, runtime.publisher, actor=admin_of(s, world), name="Care").id
    admin = Agent(make_client(settings, runtime), world.admin.email)
    saved = admin.post(f"/admin/people/{world.agent.id}", {"role": "supervisor", "team_ids": [str(team_id)],
                                                          "languages": "fr, en", "networks": "x"})
    assert saved.status_code == 303
    with runtime.db.transaction() as s:
        user = s.get(User, world.agent.id)
        assert user is not None and user.role == "supervisor"
        assert s.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).all() == [team_id]
        profile = s.scalar(select(AgentProfile).where(AgentProfile.user_id == user.id))
        assert profile is not None and profile.skills == {"languages": ["en", "fr"], "networks": ["x"]}
    bad = admin.post(f"/admin/people/{world.agent.id}", {"role": "agent", "networks": "myspace"})
    assert bad.status_code == 422 and f'id="networks-{world.agent.id}-error"' in bad.text
    last = admin.post(f"/admin/people/{world.admin.id}", {"role": "agent"})
    assert last.status_code == 409 and "active admin" in last.text
    with runtime.db.transaction() as s:
        assert s.get(User, world.agent.id).role == "supervisor"  # type: ignore[union-attr]  # nothing half-done


def test_deactivation_ends_sessions_and_tokens(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as s:
        agent_user = s.get(User, world.agent.id)
        assert agent_user is not None
        _, raw = accounts.create_token(s, agent_user, "script")
    agent = Agent(make_client(settings, runtime), world.agent.email)
    api = make_client(settings, runtime)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    admin = Agent(make_client(settings, runtime), world.admin.email)
    done = admin.post(f"/admin/people/{world.agent.id}/active", {"active": "0"})
    assert done.status_code == 303
    assert "deactivated" in admin.get("/admin/people").text
    assert agent.get("/inbox").status_code == 303  # signed out at once
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert admin.post(f"/admin/people/{world.agent.id}/active", {"active": "1"}).status_code == 303
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401  # stays revoked
    assert Agent(make_client(settings, runtime), world.agent.email).get("/inbox").status_code == 200


def test_admins_only_and_french(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/people").status_code == 403
    assert agent.post("/admin/people/invite", {"email": "x@acme.test"}).status_code == 403
    with runtime.db.transaction() as s:
        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(make_client(settings, runtime), world.admin.email)
    page = admin.get("/admin/people")
    assert page.status_code == 200 and "Inviter quelqu'un" in page.text and "Utilisateurs" in page.text
    bad = admin.post("/admin/people/invite", {"email": "nope", "role": "agent"})
    assert bad.status_code == 422 and "adresse e-mail" in bad.text
