"""Issue 18, defect 12: the routing rule form asked for raw field names and numeric account ids. It offers human
choices (networks and accounts by name, languages, intents and topics in the user's language, a priority step),
the team by name; a value it did not offer is refused in the form (422, values kept), never a 500."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select, update

from compris.config import Settings
from compris.models import RoutingRule, User
from compris.routing import actions as routing_actions
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import Agent, make_client


@pytest.fixture
def team_id(runtime: Runtime, world: World) -> int:
    with runtime.db.transaction() as session:
        actor = session.get(User, world.admin.id)
        assert actor is not None
        return routing_actions.create_team(session, runtime.publisher, actor=actor, name="Care FR",
                                           timezone="UTC", shift_lines="daily 00:00-00:00").id


def _rules(runtime: Runtime, world: World) -> list[RoutingRule]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(RoutingRule).where(RoutingRule.workspace_id == world.workspace_id)))


def test_the_form_offers_names_not_raw_fields(settings: Settings, runtime: Runtime, world: World,
                                              team_id: int) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)

    page = html.unescape(admin.get("/admin/routing").text)
    form = page[page.index('id="rule-form"'):]

    assert "channel_account_ids</code>" not in form and "min_priority</code>" not in form
    assert f'value="{world.account.id}" > {world.account.name}' in form  # the account by its name
    assert "> Complaint" in form and "> French" in form and "> Refund" in form
    assert f'<option value="{team_id}" >Care FR</option>' in form


def test_a_rule_from_human_choices(settings: Settings, runtime: Runtime, world: World, team_id: int) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)

    response = admin.client.post("/admin/routing/rules", data={
        "csrf_token": admin.csrf, "name": "French complaints", "position": "1", "team_id": str(team_id),
        "channel_account_ids": str(world.account.id), "languages": "fr", "intents": ["complaint", "request"],
        "keywords": "refund, remboursement", "min_priority": "50"})

    assert response.status_code == 303, response.text
    [rule] = _rules(runtime, world)
    assert rule.team_id == team_id and rule.name == "French complaints"
    assert rule.conditions == {"channel_account_ids": [world.account.id], "languages": ["fr"],
                               "intents": ["complaint", "request"], "keywords": ["refund", "remboursement"],
                               "min_priority": 50}
    listed = html.unescape(admin.get("/admin/routing").text)
    assert f"Account: {world.account.name}" in listed
    assert "Intent: Complaint, Request" in listed and "Priority at least 50" in listed


@pytest.mark.parametrize(("field", "value"), [
    ("intents", "positive"), ("networks", "myspace"), ("channel_account_ids", "999999"),
    ("channel_account_ids", "abc"), ("languages", "xx"), ("topics", "weather"), ("min_priority", "abc"),
    ("min_priority", "1000"), ("team_id", "999999"), ("team_id", ""), ("position", "first"),
])
def test_a_value_not_offered_is_refused_in_the_form(settings: Settings, runtime: Runtime, world: World,
                                                     team_id: int, field: str, value: str) -> None:
    admin = Agent(make_client(settings, runtime), world.admin.email)
    data = {"csrf_token": admin.csrf, "name": "Kept name", "team_id": str(team_id), "intents": "complaint",
            "keywords": "kept words", field: value}

    response = admin.client.post("/admin/routing/rules", data=data, headers={"Accept": "text/html"})

    assert response.status_code == 422, response.text[:300]
    page = html.unescape(response.text)
    form = page[page.index('id="rule-form"'):]
    assert 'role="alert" id="rule-error"' in form
    assert 'value="Kept name"' in form and 'value="kept words"' in form
    assert 'value="complaint" checked' in form or field == "intents"
    assert _rules(runtime, world) == []


def test_the_form_in_french(settings: Settings, runtime: Runtime, world: World, team_id: int) -> None:
    with runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == world.admin.id).values(language="fr"))
    admin = Agent(make_client(settings, runtime), world.admin.email)

    page = html.unescape(admin.get("/admin/routing").text)
    form = page[page.index('id="rule-form"'):]

    assert "Réclamation" in form and "Français" in form and "Envoyer à l'équipe" in form
    response = admin.client.post("/admin/routing/rules", data={"csrf_token": admin.csrf, "team_id": str(team_id),
                                                               "intents": "positive"})
    assert response.status_code == 422
    assert "Ce choix n'est pas proposé" in html.unescape(response.text)

