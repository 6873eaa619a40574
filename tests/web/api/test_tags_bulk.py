"""The JSON API of tags (GET /tags, POST/PATCH/DELETE /tags, GET/PUT /cases/{n}/tags, ?tag= on GET /cases) and
of bulk runs (POST /bulk-runs, GET /bulk-runs/{id})."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, auth, case_numbers, deliver, token


def test_case_tags_round_trip_and_the_tag_filter(client: TestClient, world: World,
                                                  agent_headers: dict[str, str]) -> None:
    for i in range(3):
        deliver(client, world, "Where is my parcel?", author=f"c{i}")
    one, two, three = case_numbers(world)
    r = client.put(f"/api/v1/cases/{one}/tags", json={"tags": ["Colis perdu", "colis PERDU", "VIP"]},
                   headers=agent_headers)
    assert r.status_code == 200, r.text
    assert [(t["name"], t["key"]) for t in r.json()["tags"]] == [("Colis perdu", "colis perdu"), ("VIP", "vip")]
    assert client.put(f"/api/v1/cases/{two}/tags", json={"tags": ["colis perdü"]},
                      headers=agent_headers).json()["tags"][0]["name"] == "Colis perdu"
    assert client.get(f"/api/v1/cases/{two}/tags", headers=agent_headers).json()["number"] == two
    listed = client.get("/api/v1/cases", params={"tag": "COLIS PERDU"}, headers=agent_headers).json()
    assert sorted(c["number"] for c in listed["items"]) == [one, two]
    assert {c["number"]: c["tags"] for c in listed["items"]}[one] == ["Colis perdu", "VIP"]
    assert client.get("/api/v1/cases", params={"tag": "nothing"}, headers=agent_headers).json()["items"] == []
    tags = client.get("/api/v1/tags", headers=agent_headers).json()["items"]
    assert [(t["name"], t["cases"]) for t in tags] == [("Colis perdu", 2), ("VIP", 1)]
    # PUT makes them exactly so; an empty list removes them all
    assert client.put(f"/api/v1/cases/{one}/tags", json={"tags": []}, headers=agent_headers).json()["tags"] == []
    assert client.put(f"/api/v1/cases/{three}/tags", json={"tags": [""]}, headers=agent_headers).status_code == 422
    assert client.put(f"/api/v1/cases/{three}/tags", json={"tags": "x"}, headers=agent_headers).status_code == 422
    assert client.put("/api/v1/cases/999/tags", json={"tags": ["x"]}, headers=agent_headers).status_code == 404


def test_workspace_tags_are_managed_by_supervisors(client: TestClient, world: World,
                                                   agent_headers: dict[str, str]) -> None:
    admin = auth(token(world, world.admin))
    assert client.post("/api/v1/tags", json={"name": "Retard"}, headers=agent_headers).status_code == 403
    created = client.post("/api/v1/tags", json={"name": "Retard", "color": "orange"}, headers=admin)
    assert created.status_code == 201 and created.json()["color"] == "orange"
    tag_id = created.json()["id"]
    assert client.post("/api/v1/tags", json={"name": "RETARD"}, headers=admin).status_code == 409
    assert client.post("/api/v1/tags", json={"name": "x", "color": "plaid"}, headers=admin).status_code == 422
    patched = client.patch(f"/api/v1/tags/{tag_id}", json={"name": "Retard livraison"}, headers=admin).json()
    assert patched["name"] == "Retard livraison" and patched["color"] == "orange"  # a field left out stays
    assert client.patch(f"/api/v1/tags/{tag_id}", json={"color": None}, headers=admin).json()["color"] is None
    assert client.delete(f"/api/v1/tags/{tag_id}", headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/tags/{tag_id}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/tags/{tag_id}", headers=admin).status_code == 404


def test_tags_and_runs_of_another_workspace_are_not_found(client: TestClient, world: World, other_world: World,
                                                          agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Where is my parcel?", author="a")
    deliver(client, other_world, "Où est mon colis ?", author="b")
    theirs = auth(token(other_world, other_world.admin))
    tag_id = client.post("/api/v1/tags", json={"name": "Secret"}, headers=theirs).json()["id"]
    run = client.post("/api/v1/bulk-runs", json={"kind": "tag", "case_numbers": [1], "tags": ["x"]},
                      headers=theirs).json()
    assert client.get("/api/v1/tags", headers=agent_headers).json()["items"] == []
    assert client.patch(f"/api/v1/tags/{tag_id}", json={"name": "Mine"}, headers=auth(token(
        world, world.admin))).status_code == 404
    assert client.get(f"/api/v1/bulk-runs/{run['id']}", headers=agent_headers).status_code == 404


def test_a_bulk_run_through_the_api(client: TestClient, world: World, agent_headers: dict[str, str],
                                    network: FakeNetwork) -> None:
    for i in range(4):
        deliver(client, world, "Hello, where is my parcel? It is late.", author=f"c{i}")
    numbers = case_numbers(world)
    admin = auth(token(world, world.admin))
    r = client.post("/api/v1/bulk-runs", json={"kind": "reply", "case_numbers": numbers,
                                                "texts": {"en": "Hi {first_name}, we are on it."}}, headers=admin)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["state"] == "running" and body["total"] == 4 and body["pending"] == 4
    world.run_jobs()
    world.run_jobs()
    done = client.get(f"/api/v1/bulk-runs/{body['id']}", headers=agent_headers).json()
    assert (done["state"], done["done"], done["sent"], done["failed"]) == ("done", 4, 4, 0)
    assert sorted(i["case_number"] for i in done["items"]) == numbers
    assert all(i["delivery"] == "sent" and i["message_id"] for i in done["items"])
    assert sorted(m.text for m in network.sent) == [f"Hi C{i}, we are on it." for i in range(4)]
    # bad input: 422 / 404, nothing started
    assert client.post("/api/v1/bulk-runs", json={"kind": "explode", "case_numbers": numbers},
                       headers=admin).status_code == 422
    assert client.post("/api/v1/bulk-runs", json={"kind": "tag", "case_numbers": []},
                       headers=admin).status_code == 422
    assert client.post("/api/v1/bulk-runs", json={"kind": "tag", "case_numbers": [999], "tags": ["x"]},
                       headers=admin).status_code == 404
    assert client.post("/api/v1/bulk-runs", json={"kind": "set_status", "case_numbers": numbers,
                                                   "status": "new"}, headers=admin).status_code == 422
    assert client.post("/api/v1/bulk-runs", json={"kind": "reply", "case_numbers": numbers},
                       headers=admin).status_code == 422
    # an agent may not give many cases to someone else
    assert client.post("/api/v1/bulk-runs", json={"kind": "assign", "case_numbers": numbers,
                                                   "assignee_id": world.admin.id},
                       headers=agent_headers).status_code == 403
