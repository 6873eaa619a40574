"""The escalation API: partners (admins write, everyone reads), a case's escalations (any agent), validation
422s with clear messages, another workspace's partner or case is a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.models import CaseEvent, Escalation, Message
from tests.conftest import World
from tests.web.api.helpers import auth, case_numbers, case_row, deliver, token

HOTEL = {"name": "Hôtel des Arts", "emails": ["reservations@hotel-des-arts.example"], "language": "fr",
         "due_minutes": 240, "reminders": {"before_minutes": [60], "after_minutes": [0], "repeat_minutes": 1440}}


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def _partner(client: TestClient, headers: dict[str, str], **change: Any) -> dict[str, Any]:
    response = client.post("/api/v1/partners", json={**HOTEL, **change}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_partners_crud_by_admins(client: TestClient, world: World, admin_headers: dict[str, str],
                                 agent_headers: dict[str, str]) -> None:
    created = _partner(client, admin_headers)
    assert created["kind"] == "partner" and created["language"] == "fr" and created["is_active"]
    assert created["reminders"] == {"before_minutes": [60], "after_minutes": [0], "repeat_minutes": 1440}
    pid = created["id"]
    changed = client.patch(f"/api/v1/partners/{pid}", json={"due_minutes": 120, "notes": "Night manager"},
                           headers=admin_headers)
    assert changed.status_code == 200 and changed.json()["due_minutes"] == 120
    assert changed.json()["emails"] == HOTEL["emails"]
    off = client.patch(f"/api/v1/partners/{pid}", json={"is_active": False}, headers=admin_headers)
    assert off.json()["is_active"] is False
    # agents read (they escalate) but do not manage
    listed = client.get("/api/v1/partners", headers=agent_headers)
    assert listed.status_code == 200 and [p["id"] for p in listed.json()["items"]] == [pid]
    assert client.get("/api/v1/partners?active=true", headers=agent_headers).json()["items"] == []
    assert client.get(f"/api/v1/partners/{pid}", headers=agent_headers).status_code == 200
    for method, path, body in (("post", "/partners", HOTEL), ("patch", f"/partners/{pid}", {"due_minutes": 5})):
        refused = client.request(method, f"/api/v1{path}", json=body, headers=agent_headers)
        assert refused.status_code == 403 and refused.json() == {"error": "your role does not allow this"}
    with world.runtime.db.transaction() as s:
        audited = [e.data.get("action") for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == "settings_changed").order_by(CaseEvent.id)) if e.data.get("entity") == "partner"]
    assert audited == ["created", "updated", "deactivated"]


@pytest.mark.parametrize(("change", "message"), [
    ({"emails": ["reservations-at-hotel"]}, "'reservations-at-hotel' is not an e-mail address"),
    ({"due_minutes": -30}, "the due time cannot be negative"),
    ({"reminders": {"before_minutes": [-60]}}, "a reminder before the due time cannot be negative"),
    ({"reminders": {"repeat_minutes": -1}}, "the repeat interval cannot be negative"),
    ({"link_days": 1000}, "the link lifetime is between 1 and 365 days"),
])
def test_bad_partners_are_422_with_a_clear_message(client: TestClient, admin_headers: dict[str, str],
                                                   change: dict[str, Any], message: str) -> None:
    response = client.post("/api/v1/partners", json={**HOTEL, **change}, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == message
    assert client.get("/api/v1/partners", headers=admin_headers).json()["items"] == []


def test_malformed_bodies_are_422(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/partners", json={**HOTEL, "emails": []}, headers=admin_headers)
    assert response.status_code == 422 and response.json()["details"][0]["field"].endswith("emails")
    response = client.post("/api/v1/partners", json={**HOTEL, "colour": "red"}, headers=admin_headers)
    assert response.status_code == 422


def test_escalate_list_read_and_lifecycle(client: TestClient, world: World, admin_headers: dict[str, str],
                                          agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My booking at jane@example.com is lost", kind="dm")
    number = case_numbers(world)[0]
    pid = _partner(client, admin_headers)["id"]
    case_id = case_row(world, number).id
    with world.runtime.db.transaction() as s:
        mid = s.scalar(select(Message.id).where(Message.case_id == case_id))
    due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    created = client.post(f"/api/v1/cases/{number}/escalations", json={
        "partner_id": pid, "brief": "Please confirm the booking", "message_ids": [mid], "due_at": due.isoformat()},
        headers=agent_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "open" and body["partner_name"] == "Hôtel des Arts" and body["case_number"] == number
    assert body["shared"] == {"message_ids": [mid], "upload_ids": [], "personal_data": False}
    assert datetime.fromisoformat(body["due_at"]) == due and body["overdue"] is False
    assert [(x["kind"], x["via"]) for x in body["exchanges"]] == [("brief", "api")]
    assert case_row(world, number).status == "waiting_partner"
    eid = body["id"]
    listed = client.get(f"/api/v1/cases/{number}/escalations", headers=agent_headers).json()["items"]
    assert [e["id"] for e in listed] == [eid] and listed[0]["exchanges"] is None
    one = client.get(f"/api/v1/cases/{number}/escalations/{eid}", headers=agent_headers)
    assert one.status_code == 200 and len(one.json()["exchanges"]) == 1
    followed = client.post(f"/api/v1/cases/{number}/escalations/{eid}/follow-up", json={"text": "Any news?"},
                           headers=agent_headers)
    assert [x["kind"] for x in followed.json()["exchanges"]] == ["brief", "follow_up"]
    revoked = client.post(f"/api/v1/cases/{number}/escalations/{eid}/revoke-links", headers=agent_headers)
    assert revoked.json()["link_version"] == 2
    closed = client.post(f"/api/v1/cases/{number}/escalations/{eid}/close", headers=agent_headers)
    assert closed.json()["status"] == "closed" and closed.json()["outcome"] == "resolved"
    assert case_row(world, number).status == "open"
    again = client.post(f"/api/v1/cases/{number}/escalations/{eid}/close", headers=agent_headers)
    assert again.status_code == 409 and again.json()["error"] == "this escalation has already ended"
    reopened = client.post(f"/api/v1/cases/{number}/escalations/{eid}/reopen", json={}, headers=agent_headers)
    assert reopened.json()["status"] == "open" and reopened.json()["link_version"] == 3
    cancelled = client.post(f"/api/v1/cases/{number}/escalations/{eid}/cancel", headers=agent_headers)
    assert cancelled.json()["status"] == "cancelled"


def test_escalation_refusals(client: TestClient, world: World, admin_headers: dict[str, str],
                             agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Hello", kind="dm")
    number = case_numbers(world)[0]
    pid = _partner(client, admin_headers)["id"]
    url = f"/api/v1/cases/{number}/escalations"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for body, status, message in (
        ({"partner_id": pid, "brief": ""}, 422, "write a brief for the partner"),
        ({"partner_id": pid, "brief": "x", "due_at": past}, 422, "the due time must be in the future"),
        ({"partner_id": pid, "brief": "x", "due_at": "2030-01-01T10:00:00"}, 422, None),  # no time zone
        ({"partner_id": pid, "brief": "x", "message_ids": [999999]}, 404, "no such message on this case: 999999"),
        ({"partner_id": pid + 99, "brief": "x"}, 404, "no such partner or team"),
    ):
        response = client.post(url, json=body, headers=agent_headers)
        assert response.status_code == status, (body, response.text)
        if message:
            assert response.json()["error"] == message
    assert client.post(f"/api/v1/cases/{number + 99}/escalations", json={"partner_id": pid, "brief": "x"},
                       headers=agent_headers).status_code == 404
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(Escalation)).all() == []
    assert case_row(world, number).status != "waiting_partner"


def test_another_workspaces_partner_and_case_are_404(client: TestClient, world: World, other_world: World,
                                                     admin_headers: dict[str, str],
                                                     agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Hello", kind="dm")
    deliver(client, other_world, "Bonjour", kind="dm")
    number = case_numbers(world)[0]
    other_number = case_numbers(other_world)[0]
    theirs = _partner(client, auth(token(other_world, other_world.admin)))["id"]
    mine = _partner(client, admin_headers)["id"]
    assert client.get(f"/api/v1/partners/{theirs}", headers=agent_headers).status_code == 404
    assert client.patch(f"/api/v1/partners/{theirs}", json={"notes": "x"},
                        headers=admin_headers).status_code == 404
    response = client.post(f"/api/v1/cases/{number}/escalations", json={"partner_id": theirs, "brief": "x"},
                           headers=agent_headers)
    assert response.status_code == 404
    other_agent = auth(token(other_world, other_world.agent))
    eid = client.post(f"/api/v1/cases/{other_number}/escalations", json={"partner_id": theirs, "brief": "x"},
                      headers=other_agent).json()["id"]
    # a case number that exists in both workspaces, an escalation of the other one: not found
    assert client.get(f"/api/v1/cases/{number}/escalations/{eid}", headers=agent_headers).status_code == 404
    assert client.post(f"/api/v1/cases/{number}/escalations/{eid}/close",
                       headers=agent_headers).status_code == 404
    assert client.get(f"/api/v1/cases/{number}/escalations", headers=agent_headers).json()["items"] == []
    assert mine != theirs
