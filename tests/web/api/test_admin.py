"""The administration API: teams, agents, routing rules, SLA settings and templates, by role; bad input is a 4xx
with a clear message and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.models import CaseEvent, RoutingRule, SlaPolicy, Team
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def audit_count(world: World) -> int:
    """Administrative writes audited so far (by a user: not the world's own set-up)."""
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(CaseEvent)
                            .where(CaseEvent.actor_user_id.is_not(None),
                                   CaseEvent.kind.in_(("settings_changed", "template_created", "template_updated",
                                                       "template_deleted", "reply_settings_changed")))) or 0)


def test_agents_may_not_administer(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    for method, path, body in (("get", "/teams", None), ("post", "/teams", {"name": "Care"}),
                               ("get", "/routing-rules", None), ("get", "/sla/policies", None),
                               ("patch", "/sla/settings", {"webhook_url": "https://x.test"}),
                               ("get", "/templates", None), ("patch", f"/agents/{world.agent.id}", {"capacity": 9})):
        response = client.request(method, f"/api/v1{path}", json=body, headers=agent_headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json() == {"error": "your role does not allow this"}
    assert client.get("/api/v1/teams").status_code == 401
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Team)).all() == []


def test_teams_members_agents_and_rules(client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    # given a team
    created = client.post("/api/v1/teams", json={"name": "Care", "timezone": "Europe/Paris", "is_default": True,
                                                 "shifts": "mon-fri 09:00-17:00\nholiday 2026-12-25"},
                          headers=admin_headers)
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["name"] == "Care" and team["is_default"] and team["member_ids"] == []
    assert "mon" in team["shifts"] and "2026-12-25" in team["shifts"]
    team_id = team["id"]
    # when it gets a member, a new name, an agent's skills and a rule
    added = client.put(f"/api/v1/teams/{team_id}/members/{world.agent.id}", headers=admin_headers)
    assert added.status_code == 200 and added.json()["member_ids"] == [world.agent.id]
    renamed = client.patch(f"/api/v1/teams/{team_id}", json={"name": "Care FR"}, headers=admin_headers)
    assert renamed.json()["name"] == "Care FR" and renamed.json()["timezone"] == "Europe/Paris"
    agent = client.patch(f"/api/v1/agents/{world.agent.id}", json={"capacity": 7, "languages": ["FR", "en"]},
                         headers=admin_headers)
    assert agent.status_code == 200, agent.text
    assert (agent.json()["capacity"], agent.json()["languages"], agent.json()["networks"]) == (7, ["en", "fr"], [])
    rule = client.post("/api/v1/routing-rules", json={"team_id": team_id, "name": "French", "position": 1,
                                                      "conditions": {"languages": ["fr"], "min_priority": 40}},
                       headers=admin_headers)
    assert rule.status_code == 201, rule.text
    assert rule.json()["conditions"]["languages"] == ["fr"] and rule.json()["conditions"]["min_priority"] == 40
    rule_id = rule.json()["id"]
    patched = client.patch(f"/api/v1/routing-rules/{rule_id}", json={"is_active": False}, headers=admin_headers)
    assert patched.json()["is_active"] is False and patched.json()["conditions"]["languages"] == ["fr"]
    # then the lists show it all
    assert [t["name"] for t in client.get("/api/v1/teams", headers=admin_headers).json()["items"]] == ["Care FR"]
    agents = {a["user_id"]: a for a in client.get("/api/v1/agents", headers=admin_headers).json()["items"]}
    assert agents[world.agent.id]["capacity"] == 7 and agents[world.admin.id]["capacity"] == 5
    assert [r["id"] for r in client.get("/api/v1/routing-rules", headers=admin_headers).json()["items"]] == [rule_id]
    # and deletions
    removed = client.delete(f"/api/v1/teams/{team_id}/members/{world.agent.id}", headers=admin_headers)
    assert removed.json()["member_ids"] == []
    assert client.delete(f"/api/v1/routing-rules/{rule_id}", headers=admin_headers).status_code == 204
    assert client.delete(f"/api/v1/teams/{team_id}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/teams/{team_id}", headers=admin_headers).status_code == 404
    assert audit_count(world) == 9


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("post", "/teams", {"name": "X", "timezone": "Mars/Olympus"}, 422, "unknown time zone 'Mars/Olympus'"),
    ("post", "/teams", {"name": "X", "shifts": "funday 9-5"}, 422, "unknown day 'funday'"),
    ("post", "/teams", {"name": "Care"}, 409, "another team has this name"),
    ("patch", "/teams/999999", {"name": "Y"}, 404, "no such team"),
    ("post", "/routing-rules", {"team_id": 999999}, 404, "no such team"),
    ("patch", "/agents/999999", {"capacity": 3}, 404, "no such agent"),
    ("post", "/sla/policies", {"name": "P", "business_hours_id": 999999}, 404, "no such business hours"),
    ("post", "/sla/policies", {"name": "P", "channel_account_ids": [999999]}, 404, "no such channel account"),
    ("patch", "/sla/policies/999999", {"name": "P"}, 404, "no such SLA policy"),
    ("patch", "/sla/settings", {"webhook_url": "ftp://nope"}, 422, "must start with https:// or http://"),
    ("post", "/sla/business-hours", {"name": "H", "timezone": "Nowhere"}, 422, "unknown time zone"),
    ("delete", "/sla/business-hours/999999", None, 404, "no such business hours"),
    ("post", "/templates", {"name": "T", "bodies": {"en": "Hi {firstname}"}}, 422, "unknown variables: {firstname}"),
    ("post", "/templates", {"name": "T", "bodies": {"en": "  "}}, 422, "a template needs a text"),
    ("delete", "/templates/999999", None, 404, "no such template"),
])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client: TestClient, world: World,
                                                     admin_headers: dict[str, str], method: str, path: str,
                                                     body: dict[str, Any] | None, status: int, message: str) -> None:
    assert client.post("/api/v1/teams", json={"name": "Care"}, headers=admin_headers).status_code == 201
    before = audit_count(world)
    response = client.request(method, f"/api/v1{path}", json=body, headers=admin_headers)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert audit_count(world) == before
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Team.name)).all() == ["Care"]
        assert s.scalars(select(RoutingRule)).all() == [] and s.scalars(select(SlaPolicy)).all() == []


def test_malformed_bodies_name_the_field(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/teams", json={"name": ""}, headers=admin_headers)
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "name"
    response = client.patch("/api/v1/agents/1", json={"capacity": 5000}, headers=admin_headers)
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "capacity"
    response = client.post("/api/v1/routing-rules", json={"team_id": 1, "conditions": {"colour": ["red"]}},
                           headers=admin_headers)
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "conditions.colour"


def test_sla_hours_policies_and_settings(client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    hours = client.post("/api/v1/sla/business-hours", json={"name": "Office", "timezone": "Europe/Paris",
                                                            "hours": "mon-fri 09:00-17:00"}, headers=admin_headers)
    assert hours.status_code == 201, hours.text
    hours_id = hours.json()["id"]
    assert client.post("/api/v1/sla/business-hours", json={"name": "office"},
                       headers=admin_headers).status_code == 409
    changed = client.patch(f"/api/v1/sla/business-hours/{hours_id}", json={"hours": "daily 08:00-20:00"},
                           headers=admin_headers)
    assert changed.status_code == 200 and changed.json()["timezone"] == "Europe/Paris"
    policy = client.post("/api/v1/sla/policies", json={"name": "Complaints on X", "networks": ["x"],
                                                       "intents": ["complaint"], "first_response_seconds": 600,
                                                       "resolution_seconds": 86400, "business_hours_id": hours_id},
                         headers=admin_headers)
    assert policy.status_code == 201, policy.text
    out = policy.json()
    assert (out["first_response_seconds"], out["warn_before_seconds"], out["business_hours_id"]) == (600, 120,
                                                                                                       hours_id)
    # a patch changes what it names: null stops tracking a target; what is left out stays
    patched = client.patch(f"/api/v1/sla/policies/{out['id']}", json={"resolution_seconds": None, "position": 2},
                           headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["resolution_seconds"], patched.json()["first_response_seconds"],
            patched.json()["position"]) == (None, 600, 2)
    assert client.patch(f"/api/v1/sla/policies/{out['id']}", json={"name": None},
                        headers=admin_headers).status_code == 422
    listed = client.get("/api/v1/sla/policies", headers=admin_headers).json()["items"]
    assert [p["name"] for p in listed] == ["Complaints on X"]
    assert client.get("/api/v1/sla/settings", headers=admin_headers).json() == {"webhook_url": "",
                                                                                "alert_at_risk": True}
    saved = client.patch("/api/v1/sla/settings", json={"webhook_url": "https://hooks.test/sla"},
                         headers=admin_headers)
    assert saved.json() == {"webhook_url": "https://hooks.test/sla", "alert_at_risk": True}
    # business hours a policy uses are not deleted (409, the policy named); once it is gone, they are
    in_use = client.delete(f"/api/v1/sla/business-hours/{hours_id}", headers=admin_headers)
    assert in_use.status_code == 409 and "used by the SLA policies: Complaints on X" in in_use.json()["error"]
    assert client.delete(f"/api/v1/sla/policies/{out['id']}", headers=admin_headers).status_code == 204
    assert client.get("/api/v1/sla/policies", headers=admin_headers).json()["items"] == []
    assert client.delete(f"/api/v1/sla/business-hours/{hours_id}", headers=admin_headers).status_code == 204
    assert client.get("/api/v1/sla/business-hours", headers=admin_headers).json()["items"] == []


def test_templates_for_supervisors(client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    created = client.post("/api/v1/templates", json={"name": "Sorry", "shortcut": "/Sorry",
                                                     "bodies": {"en": "Hi {first_name}, sorry.", "fr": "Désolé."}},
                          headers=admin_headers)
    assert created.status_code == 201, created.text
    t = created.json()
    assert (t["shortcut"], t["purpose"], t["is_active"], t["usage_count"]) == ("sorry", "reply", True, 0)
    again = client.post("/api/v1/templates", json={"name": "Other", "shortcut": "sorry", "bodies": {"en": "x"}},
                        headers=admin_headers)
    assert again.status_code == 409 and again.json()["error"] == "another template has this shortcut"
    same_name = client.post("/api/v1/templates", json={"name": "SORRY", "bodies": {"en": "x"}}, headers=admin_headers)
    assert same_name.status_code == 409 and same_name.json()["error"] == "another template has this name"
    patched = client.patch(f"/api/v1/templates/{t['id']}", json={"is_active": False}, headers=admin_headers)
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert patched.json()["bodies"] == {"en": "Hi {first_name}, sorry.", "fr": "Désolé."}
    assert client.get(f"/api/v1/templates/{t['id']}", headers=admin_headers).json()["name"] == "Sorry"
    listed = client.get("/api/v1/templates?purpose=reply", headers=admin_headers).json()["items"]
    assert [x["id"] for x in listed] == [t["id"]]
    assert client.get("/api/v1/templates?purpose=move_to_private", headers=admin_headers).json()["items"] == []
    assert client.delete(f"/api/v1/templates/{t['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/templates/{t['id']}", headers=admin_headers).status_code == 404


def test_another_workspace_is_not_found(client: TestClient, world: World, other_world: World,
                                        admin_headers: dict[str, str]) -> None:
    theirs = auth(token(other_world, other_world.admin))
    team = client.post("/api/v1/teams", json={"name": "Theirs"}, headers=theirs).json()
    assert client.get(f"/api/v1/teams/{team['id']}", headers=admin_headers).status_code == 404
    assert client.delete(f"/api/v1/teams/{team['id']}", headers=admin_headers).status_code == 404
    assert client.put(f"/api/v1/teams/{team['id']}/members/{world.agent.id}",
                      headers=admin_headers).status_code == 404
    assert client.get("/api/v1/teams", headers=admin_headers).json()["items"] == []


def test_reply_settings(client: TestClient, world: World, admin_headers: dict[str, str],
                        agent_headers: dict[str, str]) -> None:
    current = client.get("/api/v1/reply-settings", headers=admin_headers)
    assert current.status_code == 200, current.text
    assert current.json()["permissions"]["agent"] == [] and current.json()["tone_guide"] == ""
    saved = client.put("/api/v1/reply-settings", json={
        "tone_guide": "Warm, short.", "guard": {"words_to_avoid": ["unfortunately"], "severity": {"blame": "block"}},
        "permissions": {"agent": ["voucher"]}}, headers=admin_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["tone_guide"] == "Warm, short." and saved.json()["permissions"]["agent"] == ["voucher"]
    assert saved.json()["guard"]["words_to_avoid"] == ["unfortunately"]
    before = audit_count(world)
    for body, message in (({"guard": {"severity": {"nonsense": "block"}}}, "unknown guard rules: nonsense"),
                          ({"permissions": {"agent": ["free flights"]}}, "unknown permissions: free flights"),
                          ({"guard": {"signoff_pattern": "("}}, "not a valid regular expression")):
        refused = client.put("/api/v1/reply-settings", json=body, headers=admin_headers)
        assert refused.status_code == 422 and message in refused.json()["error"], refused.text
    assert audit_count(world) == before
    assert client.get("/api/v1/reply-settings", headers=admin_headers).json()["tone_guide"] == "Warm, short."
    assert client.get("/api/v1/reply-settings", headers=agent_headers).status_code == 403


def test_a_replacement_makes_its_word_one_to_avoid_so_the_page_keeps_it(
        client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    # given a replacement set through the API for a word that is not (yet) among the words to avoid
    saved = client.put("/api/v1/reply-settings", json={
        "guard": {"words_to_avoid": ["unfortunately"], "word_replacements": {"ASAP": "as soon as we can"}}},
        headers=admin_headers)
    assert saved.status_code == 200, saved.text
    # then the word is to be avoided (the guard flags it and proposes its replacement)
    guard = saved.json()["guard"]
    assert guard["words_to_avoid"] == ["unfortunately", "ASAP"]
    assert guard["word_replacements"] == {"ASAP": "as soon as we can"}
    # and the tone page shows it, so saving that page keeps it
    page = Agent(TestClient(client.app, follow_redirects=False), world.admin.email).get("/admin/tone")
    assert page.status_code == 200 and "ASAP =&gt; as soon as we can" in page.text
