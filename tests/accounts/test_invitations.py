"""Invitations: invite → the e-mail over real SMTP (EN/FR) → accept (the user in their role, teams and language);
the link is single-use: tampered, expired, re-sent, revoked or already accepted links are refused. Both
databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from compris.accounts import invitations
from compris.kit.clock import now
from compris.kit.errors import Conflict, Invalid
from compris.mail import actions as mail_actions
from compris.models import CaseEvent, Invitation, TeamMember, User
from compris.routing import actions as routing
from tests.conftest import World
from tests.mail.smtp_server import smtp_server

BASE = "http://testserver"


def admin_of(session: object, world: World) -> User:
    user = session.get(User, world.admin.id)  # type: ignore[attr-defined]
    assert user is not None
    return user


def configure_mail(world: World, port: int) -> None:
    with world.runtime.db.transaction() as s:
        mail_actions.save_settings(s, world.runtime.publisher, actor=admin_of(s, world),
                                   secret_key=world.runtime.settings.secret_key, host="127.0.0.1", port=port,
                                   security="plain", from_address="care@brand.example", from_name="Brand Care")


def make_team(world: World, name: str = "Level 2") -> int:
    with world.runtime.db.transaction() as s:
        return routing.create_team(s, world.runtime.publisher, actor=admin_of(s, world), name=name).id


def invite(world: World, email: str = "new@acme.test", **kw: object) -> tuple[int, str]:
    values: dict[str, object] = {"name": "Nina New", "role": "supervisor", "team_ids": [], "language": "en"}
    values.update(kw)
    with world.runtime.db.transaction() as s:
        invitation, link = invitations.invite(
            s, world.runtime.publisher, workspace_id=world.workspace_id, email=email,
            invited_by=admin_of(s, world), base_url=BASE, secret_key=world.runtime.settings.secret_key,
            **values)  # type: ignore[arg-type]
        return invitation.id, link


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def accept(world: World, link: str, password: str = "a long new password") -> User:
    with world.runtime.db.transaction() as s:
        return invitations.accept(s, world.runtime.publisher, token=token_of(link), password=password, name="",
                                  secret_key=world.runtime.settings.secret_key)


def refused(world: World, link: str) -> str:
    with pytest.raises(invitations.InvitationRefused) as info, world.runtime.db.transaction() as s:
        invitations.invitation_for_link(s, token_of(link), world.runtime.settings.secret_key)
    assert 400 <= info.value.status_code < 500
    return info.value.reason


def test_invite_mail_accept(world: World) -> None:
    team_id = make_team(world)
    with smtp_server() as (recorder, port):
        configure_mail(world, port)
        invitation_id, link = invite(world, team_ids=[team_id], language="fr")
        world.run_jobs()
    (message,) = recorder.messages()
    assert message["To"] == "new@acme.test" and "invitation" in message["Subject"].lower()
    body = message.get_body()
    assert body is not None
    text = body.get_content()
    assert "vous invite" in text and "superviseur" in text and link in text
    user = accept(world, link)
    with world.runtime.db.transaction() as s:
        row = s.get(User, user.id)
        assert row is not None and row.role == "supervisor" and row.language == "fr" and row.name == "Nina New"
        assert s.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).all() == [team_id]
        invitation = s.get(Invitation, invitation_id)
        assert invitation is not None and invitation.accepted_user_id == user.id and invitation.sent_at is not None
        rows = s.scalars(select(CaseEvent.data).where(CaseEvent.kind == "settings_changed")).all()
        assert {"created", "accepted"} <= {r["action"] for r in rows if r.get("entity") == "invitation"}
    assert refused(world, link) == "accepted"


def test_without_outgoing_mail_the_link_is_made_all_the_same(world: World) -> None:
    invitation_id, link = invite(world)
    with world.runtime.db.transaction() as s:
        invitation = s.get(Invitation, invitation_id)
        assert invitation is not None and invitation.sent_at is None
        assert invitations.link_for(invitation, base_url=BASE, secret_key=world.runtime.settings.secret_key) == link


def test_tampered_expired_resent_revoked_links_are_refused(world: World) -> None:
    invitation_id, link = invite(world)
    token = token_of(link)
    body, _, sig = token.partition(".")
    assert refused(world, f"{BASE}/invitations/{body}.{sig[:-2]}xx") == "invalid"
    assert refused(world, f"{BASE}/invitations/garbage") == "invalid"
    with world.runtime.db.transaction() as s:
        new, new_link = invitations.resend(s, world.runtime.publisher, actor=admin_of(s, world),
                                           invitation_id=invitation_id, base_url=BASE,
                                           secret_key=world.runtime.settings.secret_key)
    assert new_link != link and refused(world, link) == "replaced"
    with world.runtime.db.transaction() as s:
        invitations.revoke(s, world.runtime.publisher, actor=admin_of(s, world), invitation_id=invitation_id)
    assert refused(world, new_link) == "revoked"
    with pytest.raises(invitations.InvitationRefused):
        accept(world, new_link)
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(User).where(User.email == "new@acme.test")) is None
    _, short = invite(world, "short@acme.test", lifetime=timedelta(seconds=-1))
    assert refused(world, short) == "expired"


def test_checks(world: World) -> None:
    with pytest.raises(Invalid):
        invite(world, "not-an-address")
    with pytest.raises(Invalid):
        invite(world, role="king")
    with pytest.raises(Invalid):
        invite(world, team_ids=[999_999])
    with pytest.raises(Conflict):
        invite(world, world.agent.email)
    invite(world, "twice@acme.test")
    with pytest.raises(Conflict):
        invite(world, "twice@acme.test")
    _, link = invite(world, "analyst@acme.test", role="analyst")
    with pytest.raises(Invalid):
        accept(world, link, password="short")
    assert accept(world, link).role == "analyst"  # a refused password leaves the link usable


def test_expiry_is_seven_days(world: World) -> None:
    invitation_id, _ = invite(world)
    with world.runtime.db.transaction() as s:
        invitation = s.get(Invitation, invitation_id)
        assert invitation is not None
        assert timedelta(days=6, hours=23) < invitation.expires_at - now() <= timedelta(days=7)
        assert invitations.status_of(invitation) == "pending"
