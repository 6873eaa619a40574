"""Reading cases: the list with its filters, counts and pages; one case with its timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from compris.models import Case
from tests.conftest import World
from tests.web.api.helpers import case_numbers, deliver


def _list(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/cases", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _numbers(body: dict[str, Any]) -> list[int]:
    return [item["number"] for item in body["items"]]


def _three_cases(client: TestClient, world: World) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    deliver(client, world, "Flight AF123 cancelled, help!", author="jean")
    deliver(client, world, "Thanks for the upgrade", author="paul")


def test_an_empty_inbox(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    assert _list(client, agent_headers) == {
        "items": [],
        "counts": {"all": 0, "mine": 0, "unassigned": 0},
        "page": {"limit": 50, "offset": 0, "total": 0, "next_offset": None},
    }


def test_the_list_shows_cases_newest_first_with_counts(client: TestClient, world: World,
                                                       agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    body = _list(client, agent_headers)
    assert _numbers(body) == [3, 2, 1]
    assert body["counts"] == {"all": 3, "mine": 0, "unassigned": 3}
    item = body["items"][-1]
    assert item["status"] == "new"
    assert item["contact"]["display_name"] == "Marie"
    assert item["assignee"] is None
    assert item["channel"] == {"id": world.account.id, "name": "acme on Sandbox", "network": "sandbox"}
    assert item["unread"] is True
    assert "My bag is lost" in item["preview"]
    for key in ("created_at", "last_activity_at", "last_inbound_at"):
        assert datetime.fromisoformat(item[key]).utcoffset() is not None
        assert item[key].endswith("+00:00")


def test_views_filter_and_count(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    client.post("/api/v1/cases/2/assign", json={"assignee_id": "me"}, headers=agent_headers)
    client.post("/api/v1/cases/3/assign", json={"assignee_id": world.admin.id}, headers=agent_headers)
    mine = _list(client, agent_headers, view="mine")
    assert _numbers(mine) == [2]
    assert mine["counts"] == {"all": 3, "mine": 1, "unassigned": 1}
    assert mine["page"]["total"] == 1
    assert _numbers(_list(client, agent_headers, view="unassigned")) == [1]
    assert _numbers(_list(client, agent_headers, view="all")) == [3, 2, 1]


def test_status_filter(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    assert client.post("/api/v1/cases/1/status", json={"status": "resolved"}, headers=agent_headers).status_code \
        == 200
    assert _numbers(_list(client, agent_headers)) == [3, 2]  # "active" by default
    assert _numbers(_list(client, agent_headers, status="resolved")) == [1]
    assert _numbers(_list(client, agent_headers, status="new")) == [3, 2]
    assert _numbers(_list(client, agent_headers, status="all")) == [1, 3, 2]  # resolving was the latest activity
    assert _list(client, agent_headers, status="resolved")["counts"] == {"all": 1, "mine": 0, "unassigned": 1}


def test_channel_filter(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    assert _numbers(_list(client, agent_headers, channel_account_id=world.account.id)) == [3, 2, 1]
    assert _list(client, agent_headers, channel_account_id=world.account.id + 1000)["items"] == []


def test_search(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    assert _numbers(_list(client, agent_headers, q="af123")) == [2]  # in the text, case-insensitive
    assert _numbers(_list(client, agent_headers, q="marie")) == [1]  # in the contact's name
    assert _list(client, agent_headers, q="nothing like this")["counts"]["all"] == 0


def test_sorts(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    assert _numbers(_list(client, agent_headers, sort="oldest")) == [1, 2, 3]
    assert _numbers(_list(client, agent_headers, sort="newest")) == [3, 2, 1]
    assert sorted(_numbers(_list(client, agent_headers, sort="priority"))) == [1, 2, 3]



def test_sort_by_sla_due(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    soon = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with world.runtime.db.transaction() as s:  # case 2 is due first, then case 1; case 3 has no running SLA
        s.execute(update(Case).where(Case.number == 2).values(sla_next_due_at=soon))
        s.execute(update(Case).where(Case.number == 1).values(sla_next_due_at=soon + timedelta(minutes=5)))
        s.execute(update(Case).where(Case.number == 3).values(sla_next_due_at=None))
    assert _numbers(_list(client, agent_headers, sort="due")) == [2, 1, 3]
    schema = client.get("/api/v1/openapi.json").json()
    sort = next(p for p in schema["paths"]["/api/v1/cases"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["newest", "oldest", "priority", "due", "needs_answer"]


def test_pagination(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    _three_cases(client, world)
    first = _list(client, agent_headers, limit=2)
    assert _numbers(first) == [3, 2]
    assert first["page"] == {"limit": 2, "offset": 0, "total": 3, "next_offset": 2}
    second = _list(client, agent_headers, limit=2, offset=first["page"]["next_offset"])
    assert _numbers(second) == [1]
    assert second["page"] == {"limit": 2, "offset": 2, "total": 3, "next_offset": None}
    assert _list(client, agent_headers, limit=2, offset=10)["items"] == []


def test_bad_list_parameters_are_named(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/cases", headers=agent_headers,
                          params={"view": "everything", "sort": "random", "status": "lost", "limit": 0,
                                  "offset": -1, "channel_account_id": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid request"
    fields = {d["field"] for d in body["details"]}
    assert fields == {"view", "sort", "status", "limit", "offset", "channel_account_id"}
    assert all(d["message"] for d in body["details"])
    assert client.get("/api/v1/cases", headers=agent_headers, params={"limit": 201}).status_code == 422


def test_case_detail_has_contact_identities_and_timeline(client: TestClient, world: World,
                                                         agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    deliver(client, world, "It was a red suitcase", author="marie", kind="dm")
    client.post("/api/v1/cases/1/notes", json={"text": "Check with the airport"}, headers=agent_headers)
    client.post("/api/v1/cases/1/assign", json={"assignee_id": "me"}, headers=agent_headers)
    response = client.get("/api/v1/cases/1", headers=agent_headers)
    assert response.status_code == 200
    case = response.json()
    assert case["number"] == 1
    assert case["status"] == "new"
    assert case["assignee"] == {"id": world.agent.id, "name": "Agent acme"}
    assert case["contact"]["display_name"] == "Marie"
    [identity] = case["contact"]["identities"]
    assert identity["network"] == "sandbox"
    assert identity["platform_user_id"] == "marie"
    assert identity["handle"] == "@marie"
    assert identity["followers"] == 10
    messages = [i["message"] for i in case["timeline"] if i["kind"] == "message"]
    events = [i["event"] for i in case["timeline"] if i["kind"] == "event"]
    assert [(m["direction"], m["visibility"], m["text"]) for m in messages] == [
        ("inbound", "public", "My bag is lost"),
        ("inbound", "private", "It was a red suitcase"),
        ("outbound", "note", "Check with the airport"),
    ]
    inbound = messages[0]
    assert inbound["author"]["kind"] == "contact"
    assert inbound["author"]["identity"]["handle"] == "@marie"
    assert inbound["channel"]["id"] == world.account.id
    assert inbound["thread"]["visibility"] == "public"
    assert inbound["delivery"] is None
    assert inbound["case_number"] == 1
    note = messages[2]
    assert note["author"] == {"kind": "agent", "identity": None, "user": {"id": world.agent.id,
                                                                          "name": "Agent acme"}}
    assert note["channel"] is None
    assert "assigned" in [e["kind"] for e in events]
    assigned = next(e for e in events if e["kind"] == "assigned")
    assert assigned["actor"] == {"id": world.agent.id, "name": "Agent acme"}
    assert assigned["data"]["assignee_id"] == world.agent.id
    times = [i["at"] for i in case["timeline"]]
    assert times == sorted(times, key=datetime.fromisoformat)


def test_customer_text_is_returned_as_data(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    nasty = '<script>alert("x")</script> & <b>bold</b>'
    deliver(client, world, nasty, author="eve")
    response = client.get("/api/v1/cases/1", headers=agent_headers)
    assert response.headers["content-type"] == "application/json"
    [item] = [i for i in response.json()["timeline"] if i["kind"] == "message"]
    assert item["message"]["text"] == nasty  # verbatim, not escaped, not rendered


def test_an_unknown_case_is_404(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/cases/99", headers=agent_headers)
    assert response.status_code == 404
    assert response.json() == {"error": "no such case"}
    assert client.get("/api/v1/cases/abc", headers=agent_headers).status_code == 422


def test_a_new_message_reopens_a_resolved_case(client: TestClient, world: World,
                                               agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Where is my refund?", author="marie")
    client.post("/api/v1/cases/1/status", json={"status": "resolved"}, headers=agent_headers)
    deliver(client, world, "Still nothing!", author="marie")
    assert case_numbers(world) == [1]
    case = client.get("/api/v1/cases/1", headers=agent_headers).json()
    assert case["status"] not in ("resolved", "closed")
    assert "reopened" in [i["event"]["kind"] for i in case["timeline"] if i["kind"] == "event"]


def test_channels_never_show_credentials(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/channels", headers=agent_headers)
    assert response.status_code == 200
    assert response.json() == {"items": [{
        "id": world.account.id, "network": "sandbox", "network_name": "Sandbox network", "name": "acme on Sandbox",
        "external_id": "brand-acme", "is_active": True, "always_on": True,
        "limits": {"public_max_length": 1000, "private_max_length": 4000, "length_unit": "characters"},
    }]}
    assert "whsec-acme" not in response.text and "tok-acme" not in response.text
