"""Notes, assignment and status changes through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.models import User
from tests.conftest import World
from tests.web.api.helpers import case_row, deliver


def _post(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/cases/1/{path}", json=body, headers=headers)


def test_a_note_stays_internal(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    response = _post(client, agent_headers, "notes", {"text": "  Ask the airport <desk>  "})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["visibility"] == "note"
    assert note["text"] == "Ask the airport <desk>"
    assert note["delivery"] is None
    assert note["channel"] is None
    world.run_jobs()  # nothing to send
    case = client.get("/api/v1/cases/1", headers=agent_headers).json()
    assert [i["message"]["text"] for i in case["timeline"] if i["kind"] == "message"][-1] == "Ask the airport <desk>"
    bad = _post(client, agent_headers, "notes", {"text": ""})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "text"
    assert _post(client, agent_headers, "notes", {}).status_code == 422


def test_assign_to_someone_to_me_and_unassign(client: TestClient, world: World,
                                              agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    response = _post(client, agent_headers, "assign", {"assignee_id": world.admin.id})
    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == {"id": world.admin.id, "name": "Admin acme"}
    assert response.json()["number"] == 1
    assert _post(client, agent_headers, "assign", {"assignee_id": "me"}).json()["assignee"]["id"] == world.agent.id
    assert case_row(world, 1).assignee_id == world.agent.id
    assert _post(client, agent_headers, "assign", {"assignee_id": None}).json()["assignee"] is None
    assert case_row(world, 1).assignee_id is None
    events = [i["event"] for i in client.get("/api/v1/cases/1", headers=agent_headers).json()["timeline"]
              if i["kind"] == "event"]
    assert [e["kind"] for e in events if e["kind"] in ("assigned", "unassigned")] == ["assigned", "assigned",
                                                                                        "unassigned"]


def test_assign_refuses_unknown_or_deactivated_users(client: TestClient, world: World,
                                                     agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    unknown = _post(client, agent_headers, "assign", {"assignee_id": 999999})
    assert unknown.status_code == 422
    assert unknown.json()["details"] == [{"field": "assignee_id", "message": "no such user in this workspace"}]
    with world.runtime.db.transaction() as session:
        admin = session.scalar(select(User).where(User.id == world.admin.id))
        assert admin is not None
        admin.is_active = False
    inactive = _post(client, agent_headers, "assign", {"assignee_id": world.admin.id})
    assert inactive.status_code == 422
    assert _post(client, agent_headers, "assign", {"assignee_id": "you"}).status_code == 422
    assert _post(client, agent_headers, "assign", {}).status_code == 422
    assert case_row(world, 1).assignee_id is None


def test_status_transitions(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")

    def status(value: str, **extra: Any) -> Any:
        return _post(client, agent_headers, "status", {"status": value, **extra})

    for value in ("waiting_customer", "waiting_partner", "open"):
        response = status(value)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == value
    resolved = status("resolved").json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    reopened = status("open").json()
    assert reopened["status"] == "open" and reopened["resolved_at"] is None
    until = datetime.now(UTC) + timedelta(hours=3)
    snoozed = status("snoozed", snooze_until=until.isoformat()).json()
    assert snoozed["status"] == "snoozed"
    assert datetime.fromisoformat(snoozed["snoozed_until"]) == until.replace(microsecond=until.microsecond)
    closed = status("closed").json()
    assert closed["status"] == "closed" and closed["snoozed_until"] is None
    kinds = [i["event"]["kind"] for i in client.get("/api/v1/cases/1", headers=agent_headers).json()["timeline"]
             if i["kind"] == "event"]
    assert "resolved" in kinds and "reopened" in kinds and "closed" in kinds


def test_bad_status_changes_name_the_field(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")

    def fields(body: dict[str, Any]) -> list[str]:
        response = _post(client, agent_headers, "status", body)
        assert response.status_code == 422, response.text
        return [d["field"] for d in response.json()["details"]]

    assert fields({"status": "new"}) == ["status"]
    assert fields({"status": "lost"}) == ["status"]
    assert fields({"status": "snoozed"}) == ["snooze_until"]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert fields({"status": "snoozed", "snooze_until": past}) == ["snooze_until"]
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    assert fields({"status": "snoozed", "snooze_until": naive}) == ["snooze_until"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert fields({"status": "open", "snooze_until": future}) == ["snooze_until"]
    assert case_row(world, 1).status == "new"


def test_actions_on_an_unknown_case_are_404(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    for path, body in (("replies", {"text": "hi"}), ("notes", {"text": "hi"}), ("assign", {"assignee_id": "me"}),
                       ("status", {"status": "resolved"})):
        response = client.post(f"/api/v1/cases/42/{path}", json=body, headers=agent_headers)
        assert response.status_code == 404, path
        assert response.json() == {"error": "no such case"}
