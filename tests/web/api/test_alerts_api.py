"""``GET /api/v1/alerts`` and ``POST /api/v1/alerts/{id}/acknowledge``: supervisors only, scoped, paged."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.listening.alert_helpers import customer_writes
from tests.web.api.helpers import auth, token

COMPLAINT = "Your service is a disgrace, my parcel never arrived and nobody answers."


def test_list_and_acknowledge(client: TestClient, world: World, other_world: World) -> None:
    for i in range(3):
        customer_writes(world, COMPLAINT, at=datetime.now(UTC), author=f"star{i}", followers=48000 + i)
    admin = auth(token(world, world.admin))
    page = client.get("/api/v1/alerts?limit=2", headers=admin)
    assert page.status_code == 200
    body = page.json()
    assert [a["kind"] for a in body["items"]] == ["reach", "reach"] and body["next_before"] is not None
    first = body["items"][0]
    assert first["reasons"][0]["code"] == "followers" and first["case_number"] is not None
    rest = client.get(f"/api/v1/alerts?limit=2&before={body['next_before']}", headers=admin).json()
    assert len(rest["items"]) == 1 and rest["next_before"] is None
    done = client.post(f"/api/v1/alerts/{first['id']}/acknowledge", headers=admin)
    assert done.status_code == 200 and done.json()["acknowledged_at"] is not None
    assert len(client.get("/api/v1/alerts?state=open", headers=admin).json()["items"]) == 2
    # agents: 403; another workspace: nothing, and 404
    assert client.get("/api/v1/alerts", headers=auth(token(world, world.agent))).status_code == 403
    stranger = auth(token(other_world, other_world.admin))
    assert client.get("/api/v1/alerts", headers=stranger).json()["items"] == []
    assert client.post(f"/api/v1/alerts/{first['id']}/acknowledge", headers=stranger).status_code == 404
    assert client.get("/api/v1/alerts?kind=nope", headers=admin).status_code == 422
