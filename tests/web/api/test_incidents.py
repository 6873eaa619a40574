"""The incidents API: rights, opening with linked cases, automatic links, the holding statement once per case,
crisis mode, resolution with the closing message, bad input and isolation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.listening.incident_helpers import supervisor
from tests.web.api.helpers import FakeNetwork, auth, case_numbers, deliver, token


def test_incidents_over_the_api(client: TestClient, world: World, agent_headers: dict[str, str],
                                network: FakeNetwork) -> None:
    boss = auth(token(world, supervisor(world)))
    deliver(client, world, "Mon vol AF1234 est annulé", author="amelie", kind="dm")
    (first,) = case_numbers(world)

    assert client.get("/api/v1/incidents", headers=agent_headers).json() == {"items": []}
    body = {"name": "Cancelled trips", "match": {"keywords": ["AF1234"]}, "case_numbers": [first],
            "statements": {"fr": "Bonjour {first_name}, nous sommes désolés.",
                           "en": "Hello {first_name}, we are sorry."},
            "closing": {"fr": "Bonjour {first_name}, c'est réglé.", "en": "Hi {first_name}, all sorted."}}
    assert client.post("/api/v1/incidents", json=body, headers=agent_headers).status_code == 403
    made = client.post("/api/v1/incidents", json=body, headers=boss)
    assert made.status_code == 201, made.text
    assert made.json()["number"] == 1 and made.json()["cases"] == 1 and made.json()["status"] == "suspected"

    deliver(client, world, "Flight AF1234 cancelled, what now?", author="bob", kind="dm")
    detail = client.get("/api/v1/incidents/1", headers=agent_headers).json()
    assert detail["cases"] == 2 and detail["networks"] == {"sandbox": 2}
    assert set(detail["languages"]) == {"fr", "en"} and sum(p["count"] for p in detail["volume"]) == 2
    assert detail["coverage"]["level"] == "none"

    assert client.post("/api/v1/incidents/1/confirm", headers=boss).json()["status"] == "confirmed"
    assert client.post("/api/v1/incidents/1/confirm", headers=boss).status_code == 409

    sent = client.post("/api/v1/incidents/1/statement", json={}, headers=boss)
    assert sent.status_code == 202 and sent.json()["queued"] == 2 and sent.json()["left_out"] == []
    world.run_jobs()
    assert sorted(m.text for m in network.sent) == ["Bonjour Amelie, nous sommes désolés.",
                                                    "Hello Bob, we are sorry."]
    again = client.post("/api/v1/incidents/1/statement", json={"case_numbers": [first]}, headers=boss).json()
    assert again == {"run_id": None, "queued": 0, "left_out": [{"case_number": first, "reason": "already_sent"}]}
    cases = client.get("/api/v1/incidents/1/cases", headers=agent_headers).json()["items"]
    assert {c["statement"] for c in cases} == {"done"} and {c["linked_by"] for c in cases} == {"manual", "auto"}

    crisis = client.post("/api/v1/incidents/1/crisis", json={"on": True, "priority": 20}, headers=boss)
    assert crisis.status_code == 200 and crisis.json()["changed"] == 2 and crisis.json()["incident"]["crisis"]
    assert client.post("/api/v1/incidents/1/crisis", json={"on": True, "priority": 900},
                       headers=boss).status_code == 422

    resolved = client.post("/api/v1/incidents/1/resolve", json={"resolve_cases": True, "send_closing": True},
                           headers=boss)
    assert resolved.status_code == 200 and resolved.json()["run_id"] is not None
    world.run_jobs()
    assert resolved.json()["incident"]["status"] == "resolved" and not resolved.json()["incident"]["crisis"]
    assert {m.text for m in network.sent[2:]} == {"Bonjour Amelie, c'est réglé.", "Hi Bob, all sorted."}
    assert client.get("/api/v1/incidents?status=resolved", headers=agent_headers).json()["items"][0]["number"] == 1


def test_bad_input_and_isolation(client: TestClient, world: World, other_world: World) -> None:
    boss = auth(token(world, supervisor(world)))
    theirs = auth(token(other_world, supervisor(other_world, "Gus")))
    assert client.post("/api/v1/incidents", json={"name": ""}, headers=boss).status_code == 422
    assert client.post("/api/v1/incidents", json={"name": "x", "colour": "red"}, headers=boss).status_code == 422
    assert client.post("/api/v1/incidents", json={"name": "x", "match": {"intents": ["rage"]}},
                       headers=boss).status_code == 422
    assert client.post("/api/v1/incidents", json={"name": "x", "case_numbers": [404]},
                       headers=boss).status_code == 404
    assert client.post("/api/v1/incidents", json={"name": "Ours"}, headers=boss).status_code == 201
    assert client.get("/api/v1/incidents/1", headers=theirs).status_code == 404
    assert client.patch("/api/v1/incidents/1", json={"name": "Mine now"}, headers=theirs).status_code == 404
    assert client.get("/api/v1/incidents?status=all", headers=theirs).json() == {"items": []}
    patched = client.patch("/api/v1/incidents/1", json={"name": "Renamed", "match": {"keywords": ["colis"]}},
                           headers=boss)
    assert patched.status_code == 200 and patched.json()["match"]["keywords"] == ["colis"]
    assert client.get("/api/v1/incidents/draft?cluster=5", headers=boss).status_code == 404
    assert client.get("/api/v1/incidents/abc", headers=boss).status_code == 422
