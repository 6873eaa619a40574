"""The business actions API: admins define actions (secret shown once), agents run them on a case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from compris.business import tasks
from compris.business.standin import StandIn
from compris.config import Settings
from tests.business.helpers import PREFILL, SCHEMA, flight, make_action
from tests.conftest import World
from tests.web.api.helpers import auth, case_numbers, deliver, token


@pytest.fixture(autouse=True)
def local_endpoints(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "allow_local_http_endpoints", True)
    monkeypatch.setattr(tasks, "backoff", lambda attempt: 0.0)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn("x", flight).start()
    yield server
    server.stop()


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def _body(url: str, **extra: object) -> dict[str, object]:
    return {"key": "rebook", "names": {"en": "Rebook", "fr": "Changer de vol"}, "endpoint_url": url,
            "input_schema": SCHEMA, "prefill": PREFILL, "roles": ["agent", "admin"], **extra}


def test_admins_define_actions_and_see_the_secret_once(client: TestClient, world: World, standin: StandIn,
                                                      admin_headers: dict[str, str],
                                                      agent_headers: dict[str, str]) -> None:
    created = client.post("/api/v1/business-actions", json=_body(standin.url()), headers=admin_headers)
    assert created.status_code == 201, created.text
    action = created.json()
    assert action["signing_secret"].startswith("cba_") and action["key"] == "rebook"
    listed = client.get("/api/v1/business-actions", headers=admin_headers).json()["items"]
    assert [a["key"] for a in listed] == ["rebook"] and "signing_secret" not in listed[0]
    assert action["signing_secret"] not in client.get(f"/api/v1/business-actions/{action['id']}",
                                                      headers=admin_headers).text
    rotated = client.post(f"/api/v1/business-actions/{action['id']}/rotate-secret", headers=admin_headers).json()
    assert rotated["signing_secret"] != action["signing_secret"] and rotated["secret_rotated_at"]
    patched = client.patch(f"/api/v1/business-actions/{action['id']}", json={"is_active": False},
                           headers=admin_headers)
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert client.post("/api/v1/business-actions", json=_body(standin.url()),
                       headers=admin_headers).status_code == 409
    assert client.get("/api/v1/business-actions", headers=agent_headers).status_code == 403


@pytest.mark.parametrize("change, where", [
    ({"endpoint_url": "http://ops.example.com/rebook"}, "https"),
    ({"input_schema": {"type": "array"}}, "object"),
    ({"prefill": {"nope": "contact.name"}}, "not a field"),
    ({"roles": ["owner"]}, "roles"),
])
def test_bad_definitions_are_422(client: TestClient, standin: StandIn, admin_headers: dict[str, str],
                                 change: dict[str, object], where: str) -> None:
    response = client.post("/api/v1/business-actions", json=_body(standin.url(), **change), headers=admin_headers)
    assert response.status_code == 422 and where in response.text


def test_an_agent_runs_an_action_on_a_case_and_follows_it(client: TestClient, world: World, standin: StandIn,
                                                         agent_headers: dict[str, str]) -> None:
    _, standin.secret = make_action(world, standin.url())
    deliver(client, world, "Please rebook me, booking reference K7XQ2M, I paid €120")
    [number] = case_numbers(world)
    runnable = client.get(f"/api/v1/cases/{number}/actions", headers=agent_headers).json()["items"]
    assert [a["key"] for a in runnable] == ["rebook"]
    assert runnable[0]["prefilled"] == {"record_locator": "K7XQ2M", "passenger": "Cust-1", "amount": 120}
    data = {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}
    queued = client.post(f"/api/v1/cases/{number}/actions/rebook", json=data,
                         headers={**agent_headers, "Idempotency-Key": "k-1"})
    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "queued"
    again = client.post(f"/api/v1/cases/{number}/actions/rebook", json=data,
                        headers={**agent_headers, "Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == queued.json()["id"]
    world.run_jobs()
    [run] = client.get(f"/api/v1/cases/{number}/actions/runs", headers=agent_headers).json()["items"]
    assert run["state"] == "succeeded" and run["result"]["flight"] == "AF1234"
    assert len(standin.seen) == 1 and standin.seen[0].signature_ok
    detail = client.get(f"/api/v1/cases/{number}", headers=agent_headers).json()
    assert "action_succeeded" in str(detail)


def test_a_user_without_permission_gets_403(client: TestClient, world: World, standin: StandIn,
                                           agent_headers: dict[str, str]) -> None:
    make_action(world, standin.url(), roles=("admin",))
    deliver(client, world, "Please rebook me")
    [number] = case_numbers(world)
    assert client.get(f"/api/v1/cases/{number}/actions", headers=agent_headers).json()["items"] == []
    refused = client.post(f"/api/v1/cases/{number}/actions/rebook",
                          json={"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}, headers=agent_headers)
    assert refused.status_code == 403
    assert standin.seen == []


def test_input_not_matching_the_schema_is_422_with_field_errors(client: TestClient, world: World,
                                                               standin: StandIn,
                                                               agent_headers: dict[str, str]) -> None:
    make_action(world, standin.url())
    deliver(client, world, "Please rebook me")
    [number] = case_numbers(world)
    refused = client.post(f"/api/v1/cases/{number}/actions/rebook", json={"record_locator": "bad", "amount": "x"},
                          headers=agent_headers)
    assert refused.status_code == 422
    fields = {d["field"] for d in refused.json()["details"]}
    assert fields == {"body.record_locator", "body.flight_date", "body.amount"}
    assert client.post(f"/api/v1/cases/{number}/actions/rebook", json=["x"],
                       headers=agent_headers).status_code == 422
    assert client.get(f"/api/v1/cases/{number}/actions/runs", headers=agent_headers).json()["items"] == []


def test_another_workspaces_action_and_case_are_404(client: TestClient, world: World, other_world: World,
                                                   standin: StandIn, agent_headers: dict[str, str]) -> None:
    other_id, _ = make_action(other_world, standin.url())
    deliver(client, world, "Please rebook me")
    deliver(client, other_world, "Rebook me too")
    [number] = case_numbers(world)
    data = {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"}
    assert client.post(f"/api/v1/cases/{number}/actions/rebook", json=data,
                       headers=agent_headers).status_code == 404
    assert client.get(f"/api/v1/business-actions/{other_id}",
                      headers=auth(token(world, world.admin))).status_code == 404
    make_action(world, standin.url())
    assert client.post("/api/v1/cases/999/actions/rebook", json=data, headers=agent_headers).status_code == 404
