"""The outgoing webhooks API: admins only; create (the secret once), read, change, rotate, ping, deliveries and
redelivery against a local receiver that verifies signatures; bad input is a 422; another workspace's rows are 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.models import CaseEvent, WebhookDelivery
from tests.conftest import World
from tests.subscriptions.receiver import Receiver, running
from tests.web.api.helpers import auth, token

API = "/api/v1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_local_http_endpoints": True})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.fixture
def admin_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.admin))


def create(client: TestClient, headers: dict[str, str], receiver: Receiver, **body: object) -> dict[str, object]:
    response = client.post(f"{API}/webhook-subscriptions", headers=headers,
                           json={"url": receiver.url, "event_types": ["*"], **body})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    receiver.secret = str(created["secret"])
    return created


def test_only_admins(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    for method, path in (("get", "/webhook-events"), ("get", "/webhook-subscriptions"),
                         ("post", "/webhook-subscriptions"), ("get", "/webhook-subscriptions/1"),
                         ("post", "/webhook-subscriptions/1/ping"), ("get", "/webhook-subscriptions/1/deliveries")):
        response = client.request(method, f"{API}{path}", headers=agent_headers,
                                  json={"url": "https://x.example", "event_types": ["*"]})
        assert response.status_code == 403, (path, response.text)
    assert client.get(f"{API}/webhook-subscriptions").status_code == 401


def test_the_catalogue(client: TestClient, admin_headers: dict[str, str]) -> None:
    items = client.get(f"{API}/webhook-events", headers=admin_headers).json()["items"]
    types = [i["type"] for i in items]
    assert "escalation.answered" in types and "survey.answered" in types and "business_action.succeeded" in types
    assert "sla.breached" in types and all(i["description"] for i in items)


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://hooks.brand.example/x", "event_types": ["*"]}, None),
    ({"url": "https://10.1.2.3/x", "event_types": ["*"]}, None),
    ({"url": "https://hooks.brand.example/x", "event_types": ["escalation.eaten"]}, None),
    ({"url": "https://hooks.brand.example/x", "event_types": []}, "event_types"),
    ({"url": "https://hooks.brand.example/x"}, "event_types"),
    ({"url": "https://hooks.brand.example/x", "event_types": ["*"], "secret": "mine"}, "secret"),
    ({"url": "https://hooks.brand.example/x", "event_types": ["*"], "description": "x" * 301}, "description"),
])
def test_bad_input_is_a_422_and_writes_nothing(client: TestClient, world: World, admin_headers: dict[str, str],
                                               body: dict[str, object], field: str | None) -> None:
    response = client.post(f"{API}/webhook-subscriptions", headers=admin_headers, json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"]
    if field is not None:
        assert any(field in d["field"] for d in error["details"])
    assert client.get(f"{API}/webhook-subscriptions", headers=admin_headers).json() == {"items": []}


def test_the_full_life_of_a_subscription(client: TestClient, world: World, admin_headers: dict[str, str],
                                         receiver: Receiver) -> None:
    # given a new subscription: its secret is in the answer, once
    created = create(client, admin_headers, receiver, description="CRM", event_types=["survey.answered"])
    sub_id, secret = created["id"], str(created["secret"])
    assert secret.startswith("whsec_") and created["secret_hint"] == "••••" + secret[-4:]
    assert created["is_active"] is True and created["event_types"] == ["survey.answered"]
    read = client.get(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers).json()
    assert "secret" not in read and read["secret_hint"] == created["secret_hint"]
    assert [s["id"] for s in client.get(f"{API}/webhook-subscriptions", headers=admin_headers).json()["items"]] \
        == [sub_id]
    # when it is changed
    patched = client.patch(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers,
                           json={"event_types": ["*"], "description": "CRM sync"})
    assert patched.status_code == 200 and patched.json()["event_types"] == ["*"]
    assert patched.json()["description"] == "CRM sync"
    assert client.patch(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers,
                        json={"url": "ftp://x"}).status_code == 422
    # and its secret rotated
    rotated = client.post(f"{API}/webhook-subscriptions/{sub_id}/rotate-secret", headers=admin_headers)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    receiver.secret = new_secret
    # then a test event reaches the receiver, signed with the new secret
    ping = client.post(f"{API}/webhook-subscriptions/{sub_id}/ping", headers=admin_headers)
    assert ping.status_code == 202 and ping.json()["state"] == "pending" and ping.json()["event_type"] == "ping"
    world.run_jobs()
    [got] = receiver.received
    assert got.verified and got.json()["type"] == "ping" and got.json()["data"]["subscription_id"] == sub_id
    [delivered] = client.get(f"{API}/webhook-subscriptions/{sub_id}/deliveries", headers=admin_headers).json()["items"]
    assert delivered["state"] == "delivered" and delivered["last_status"] == 200
    assert delivered["event_id"] == got.event_id == ping.json()["event_id"]
    # and only a failed delivery is sent again
    again = client.post(f"{API}/webhook-subscriptions/{sub_id}/deliveries/{delivered['id']}/redeliver",
                        headers=admin_headers)
    assert again.status_code == 409
    # when a test event fails (tried once), it can be sent again, with the same event id
    receiver.answer(500, 200)
    failed_id = client.post(f"{API}/webhook-subscriptions/{sub_id}/ping", headers=admin_headers).json()["id"]
    world.run_jobs()
    failed = client.get(f"{API}/webhook-subscriptions/{sub_id}/deliveries?state=failed",
                        headers=admin_headers).json()["items"]
    assert [d["id"] for d in failed] == [failed_id] and failed[0]["last_error"].startswith("HTTP 500")
    redo = client.post(f"{API}/webhook-subscriptions/{sub_id}/deliveries/{failed_id}/redeliver",
                       headers=admin_headers)
    assert redo.status_code == 202 and redo.json()["state"] == "pending"
    world.run_jobs()
    assert receiver.received[-1].event_id == receiver.received[-2].event_id == failed[0]["event_id"]
    assert receiver.received[-1].status == 200
    # and deleted, it is gone with its deliveries
    assert client.delete(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers).status_code == 204
    assert client.get(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers).status_code == 404
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(WebhookDelivery)).all() == []
        audit = [e.data for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed"))
                 if e.data.get("entity") == "webhook_subscription"]
    assert [a["action"] for a in audit] == ["created", "updated", "secret_rotated", "tested", "tested",
                                            "redelivered", "deleted"]
    assert secret not in str(audit) and new_secret not in str(audit)


def test_another_workspaces_subscription_is_not_found(
        client: TestClient, world: World, other_world: World, admin_headers: dict[str, str],
        receiver: Receiver) -> None:
    sub_id = create(client, admin_headers, receiver)["id"]
    client.post(f"{API}/webhook-subscriptions/{sub_id}/ping", headers=admin_headers)
    with world.runtime.db.transaction() as s:
        delivery_id = s.scalars(select(WebhookDelivery.id)).one()
    other = auth(token(other_world, other_world.admin))
    for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/rotate-secret"), ("post", "/ping"),
                         ("get", "/deliveries"), ("post", f"/deliveries/{delivery_id}/redeliver")):
        response = client.request(method, f"{API}/webhook-subscriptions/{sub_id}{path}", headers=other,
                                  json={"description": "mine now"} if method == "patch" else None)
        assert response.status_code == 404, (method, path, response.text)
    assert client.get(f"{API}/webhook-subscriptions", headers=other).json() == {"items": []}
    assert client.get(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers).json()["description"] == ""


def test_a_disabled_subscription_is_enabled_again(client: TestClient, world: World, admin_headers: dict[str, str],
                                                  receiver: Receiver) -> None:
    sub_id = create(client, admin_headers, receiver)["id"]
    receiver.answer(410)
    client.post(f"{API}/webhook-subscriptions/{sub_id}/ping", headers=admin_headers)
    world.run_jobs()
    gone = client.get(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers).json()
    assert gone["is_active"] is False and gone["disabled_reason"] == "gone" and gone["disabled_at"]
    enabled = client.patch(f"{API}/webhook-subscriptions/{sub_id}", headers=admin_headers,
                           json={"is_active": True}).json()
    assert enabled["is_active"] is True and enabled["disabled_reason"] is None and enabled["disabled_at"] is None
