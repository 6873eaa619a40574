"""The demo's people: an analyst, a second supervisor, a deactivated agent, a pending invitation, in teams; the
agents' signatures. Fast."""

from __future__ import annotations

import time

from sqlalchemy import select

from compris.demo_admin import people
from compris.models import Invitation, TeamMember, User
from tests.conftest import World


def test_people_in_each_role(world: World) -> None:
    started = time.perf_counter()
    people.load(world.runtime, world.workspace_id, {"admin": world.admin.id, "agent": world.agent.id})
    assert time.perf_counter() - started < 1.0
    with world.runtime.db.transaction() as s:
        users = {u.email: u for u in s.scalars(select(User).where(User.workspace_id == world.workspace_id))}
        roles = sorted(u.role for u in users.values())
        assert roles.count("analyst") == 1 and roles.count("supervisor") == 1 and roles.count("admin") == 1
        assert users["oliver@demo.compris.example"].is_active is False
        assert users[world.agent.email].signature.startswith("Agent\nCustomer care")
        assert s.scalar(select(TeamMember.id).where(TeamMember.user_id == users["margaux@demo.compris.example"].id))
        (invitation,) = s.scalars(select(Invitation)).all()
        assert invitation.email == "lea@demo.compris.example" and invitation.accepted_at is None
        assert invitation.team_ids
