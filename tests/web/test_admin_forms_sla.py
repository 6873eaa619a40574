"""The SLA policy form asks like the routing rule form (issue 18, defects 2 and 12): networks, accounts by name and
intents as choices, the targets' unit in their labels; the policies table shows names, not codes."""

from __future__ import annotations

import html

from sqlalchemy import select

from compris.config import Settings
from compris.models import SlaPolicy
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, make_client


def test_a_policy_from_choices(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    form = html.unescape(admin.get("/admin/sla").text)
    assert 'name="networks" value="x"> X' in form and "First response (minutes)" in form
    assert f'name="channel_account_ids" value="{world.account.id}"> {world.account.name}' in form

    response = admin.client.post("/admin/sla/policies", data={
        "csrf_token": admin.csrf, "name": "Complaints", "networks": ["x", "facebook"],
        "channel_account_ids": str(world.account.id), "intents": "complaint", "first_response": "15"})

    assert response.status_code == 303, response.text[:300]
    with runtime.db.transaction() as session:
        policy = session.scalars(select(SlaPolicy).where(SlaPolicy.workspace_id == world.workspace_id)).one()
        assert (policy.networks, policy.intents, policy.channel_account_ids) == (
            ["facebook", "x"], ["complaint"], [world.account.id])
        assert policy.first_response_s == 900
    listed = html.unescape(admin.get("/admin/sla").text)
    assert f"Facebook, X; {world.account.name}" in listed and "<td>Complaint</td>" in listed


def test_a_bad_account_is_refused_not_a_500(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)

    for value in ("abc", "999999"):
        response = admin.client.post("/admin/sla/policies", data={
            "csrf_token": admin.csrf, "name": "P", "channel_account_ids": value, "first_response": "15"})
        assert response.status_code in (404, 422), (value, response.status_code)
