"""The analytics JSON API (/api/v1/analytics/...): figures from real messages through the real pipeline and the
rollup job, roles (agents 403, no token 401), bad filters (422 naming the problem), workspace isolation, the
objectives' CRUD, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from compris.analytics import rollups
from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, auth, deliver, token


def roll_up(world: World) -> None:
    """Run the rollup job's work now (it runs every 10 s in a server)."""
    while True:
        with world.runtime.db.transaction() as session:
            if rollups.process_dirty(session, 500) == 0:
                return


def three_cases(client: TestClient, world: World) -> dict[str, str]:
    """Three customers write today; the admin answers the first one (sent at once). Returns the admin's headers."""
    admin = auth(token(world, world.admin))
    deliver(client, world, "My bag is lost and nobody answers, this is terrible", author="marie")
    deliver(client, world, "What time does check-in open for flight AF123?", author="jean")
    deliver(client, world, "Where is my refund? I am still waiting", author="paul")
    response = client.post("/api/v1/cases/1/replies", json={"text": "Sorry Marie, we are looking for it now."},
                           headers=admin)
    assert response.status_code == 201, response.text
    world.run_jobs()
    roll_up(world)
    return admin


def test_figures_from_real_messages(client: TestClient, world: World, network: FakeNetwork) -> None:
    admin = three_cases(client, world)
    assert len(network.sent) == 1
    body = client.get("/api/v1/analytics/volume", params={"period": "7d"}, headers=admin).json()
    assert body["period"]["days"] == 7 and body["period"]["clock"] == "calendar"
    assert (body["current"]["messages"], body["current"]["new_cases"]) == (3, 3)
    assert body["previous"]["messages"] == 0
    assert {s["key"]: s["value"] for s in body["current"]["by_network"]} == {"sandbox": 3}

    rate = client.get("/api/v1/analytics/response-rate", params={"period": "today"}, headers=admin).json()
    assert (rate["current"]["needing"], rate["current"]["responded"], rate["current"]["within_target"]) == (3, 1, 1)
    assert rate["current"]["rate"] == pytest.approx(33.3) and rate["previous"]["rate"] is None

    times = client.get("/api/v1/analytics/response-times", headers=admin).json()
    first = times["current"]["first_response"]
    assert first["count"] == 1 and first["median_s"] is not None and first["median_s"] < 60
    assert sum(b["count"] for b in first["histogram"]) == 1

    summary = client.get("/api/v1/analytics/summary", headers=admin).json()
    tiles = {t["key"]: t for t in summary["tiles"]}
    assert tiles["messages"]["value"] == 3 and tiles["messages"]["previous"] == 0
    assert tiles["response_rate"]["value"] == pytest.approx(33.3) and tiles["response_rate"]["better"] == "higher"
    assert tiles["response_rate"]["measure"] == "unanswered"

    drill = client.get("/api/v1/analytics/cases", params={"measure": "unanswered"}, headers=admin).json()
    assert drill["total"] == 2 and sorted(i["number"] for i in drill["items"]) == [2, 3]
    assert drill["total_capped"] is False
    assert drill["items"][0]["contact"] and drill["items"][0]["status"] in ("new", "open")

    backlog = client.get("/api/v1/analytics/backlog", headers=admin).json()
    assert backlog["open"] == 3
    heat = client.get("/api/v1/analytics/heatmap", headers=admin).json()
    assert sum(map(sum, heat["cells"])) == 3 and len(heat["cells"]) == 7 and len(heat["cells"][0]) == 24
    for path in ("sla", "csat", "agents", "expected-wait", "guard", "escalations", "objectives"):
        assert client.get(f"/api/v1/analytics/{path}", headers=admin).status_code == 200, path

    # a filter changes the figures: nothing on another network
    other = client.get("/api/v1/analytics/volume", params={"network": "mastodon"}, headers=admin).json()
    assert other["current"]["messages"] == 0


@pytest.mark.parametrize(("params", "message"), [
    ({"period": "fortnight"}, "period"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-11-02", "to": "2026-11-01"}, "ends before it starts"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "at most 400 days"),
    ({"from": "0001-01-01"}, "dates are between"),
    ({"to": "9999-12-31"}, "dates are between"),
    ({"clock": "lunar"}, "clock"),
    ({"intent": "rant"}, "intent"),
    ({"language": "klingon"}, "language"),
    ({"team": "999999"}, "unknown team"),
    ({"agent": "abc"}, "agent"),
    ({"account": "999999"}, "unknown channel account"),
    ({"network": "<script>"}, "network"),
])
def test_bad_filters_are_422(client: TestClient, world: World, params: dict[str, str], message: str) -> None:
    admin = auth(token(world, world.admin))
    response = client.get("/api/v1/analytics/volume", params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert message in response.text


def test_bad_drill_down(client: TestClient, world: World) -> None:
    admin = auth(token(world, world.admin))
    assert client.get("/api/v1/analytics/cases", headers=admin).status_code == 422  # measure is required
    assert client.get("/api/v1/analytics/cases", params={"measure": "gossip"}, headers=admin).status_code == 422
    assert client.get("/api/v1/analytics/cases", params={"measure": "late", "page": 0},
                      headers=admin).status_code == 422


def test_roles(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    for path in ("summary", "volume", "response-rate", "response-times", "sla", "csat", "backlog", "agents",
                 "expected-wait", "guard", "escalations", "heatmap", "objectives"):
        assert client.get(f"/api/v1/analytics/{path}", headers=agent_headers).status_code == 403, path
        assert client.get(f"/api/v1/analytics/{path}").status_code == 401, path
    assert client.get("/api/v1/analytics/cases", params={"measure": "late"}, headers=agent_headers).status_code == 403
    assert client.post("/api/v1/analytics/objectives", json={"metric": "csat", "target": 80},
                       headers=agent_headers).status_code == 403


def test_workspaces_do_not_mix(client: TestClient, world: World, other_world: World, network: FakeNetwork) -> None:
    three_cases(client, world)
    other = auth(token(other_world, other_world.admin))
    assert client.get("/api/v1/analytics/volume", headers=other).json()["current"]["messages"] == 0
    assert client.get("/api/v1/analytics/cases", params={"measure": "messages"}, headers=other).json()["total"] == 0
    # another workspace's team or account is not a filter here
    assert client.get("/api/v1/analytics/volume", params={"account": str(world.account.id)},
                      headers=other).status_code == 422
    created = client.post("/api/v1/analytics/objectives", json={"metric": "csat", "target": 80},
                          headers=auth(token(world, world.admin))).json()
    assert client.put(f"/api/v1/analytics/objectives/{created['id']}", json={"metric": "csat", "target": 10},
                      headers=other).status_code == 404
    assert client.delete(f"/api/v1/analytics/objectives/{created['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/analytics/objectives", headers=other).json()["items"] == []


def test_objectives_crud_and_actual(client: TestClient, world: World, network: FakeNetwork) -> None:
    admin = three_cases(client, world)
    body: dict[str, Any] = {"name": "Everyone answered", "metric": "response_rate", "target": 90,
                            "clock": "calendar"}
    created = client.post("/api/v1/analytics/objectives", json=body, headers=admin)
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    within = client.post("/api/v1/analytics/objectives", json={"metric": "first_response_within", "target": 50,
                                                               "threshold_seconds": 3600, "clock": "calendar"},
                         headers=admin).json()
    listed = {o["id"]: o for o in client.get("/api/v1/analytics/objectives", params={"period": "today"},
                                             headers=admin).json()["items"]}
    assert listed[oid]["actual"] == pytest.approx(33.3) and listed[oid]["met"] is False
    assert listed[oid]["measured"] == 3
    assert listed[within["id"]]["actual"] == 100.0 and listed[within["id"]]["met"] is True
    changed = client.put(f"/api/v1/analytics/objectives/{oid}", json={**body, "target": 30}, headers=admin)
    assert changed.status_code == 200 and changed.json()["target"] == 30
    again = client.get("/api/v1/analytics/objectives", headers=admin).json()["items"]
    assert next(o for o in again if o["id"] == oid)["met"] is True
    for bad in ({"metric": "happiness", "target": 1}, {"metric": "csat", "target": 150},
                {"metric": "first_response_within", "target": 90}, {"metric": "csat", "target": 80, "color": "red"}):
        assert client.post("/api/v1/analytics/objectives", json=bad, headers=admin).status_code == 422, bad
    assert client.delete(f"/api/v1/analytics/objectives/{oid}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/analytics/objectives/{oid}", headers=admin).status_code == 404


def test_openapi_documents_every_figure(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("summary", "volume", "response-rate", "response-times", "sla", "csat", "backlog", "agents",
                 "expected-wait", "guard", "escalations", "heatmap", "cases", "objectives"):
        operation = paths[f"/api/v1/analytics/{path}"]["get"]
        assert operation["tags"] == ["analytics"]
        assert {"403", "422"} <= set(operation["responses"]), path
        names = {p["name"] for p in operation["parameters"]}
        assert {"period", "from", "to", "network", "team", "agent", "intent", "language", "clock"} <= names, path
    assert "post" in paths["/api/v1/analytics/objectives"]
    assert {"put", "delete"} <= set(paths["/api/v1/analytics/objectives/{objective_id}"])
