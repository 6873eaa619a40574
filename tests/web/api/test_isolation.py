"""One workspace's token never sees or touches another workspace's cases, messages, users or channels."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.connectors.base import SendError
from compris.models import Case, CaseEvent, Message
from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, auth, case_row, deliver, timeline_messages, token


@pytest.fixture
def acme_failed_reply(client: TestClient, world: World, agent_headers: dict[str, str],
                      network: FakeNetwork) -> dict[str, Any]:
    """Acme has case 1 (with a failed reply) and case 2; returns ids of its messages."""
    deliver(client, world, "Acme: my bag is lost", author="marie")
    deliver(client, world, "Acme: my flight is late", author="jean")
    network.error = SendError("refused", retryable=False)
    reply = client.post("/api/v1/cases/1/replies", json={"text": "Sorry Marie"}, headers=agent_headers).json()
    world.run_jobs()
    network.error = None
    inbound = [i["message"]["id"] for i in client.get("/api/v1/cases/1", headers=agent_headers).json()["timeline"]
               if i["kind"] == "message" and i["message"]["direction"] == "inbound"]
    return {"reply_id": reply["id"], "inbound_id": inbound[0]}


def _snapshot(world: World) -> list[tuple[Any, ...]]:
    with world.runtime.db.transaction() as session:
        cases = [(c.number, c.status, c.assignee_id, c.snoozed_until) for c in
                 session.scalars(select(Case).where(Case.workspace_id == world.workspace_id).order_by(Case.id))]
        messages = session.scalar(select(func.count()).select_from(Message)
                                  .where(Message.workspace_id == world.workspace_id))
        events = session.scalar(select(func.count()).select_from(CaseEvent)
                                .where(CaseEvent.workspace_id == world.workspace_id, CaseEvent.case_id.is_not(None)))
        states = [(m.id, m.delivery_state) for m in session.scalars(select(Message).order_by(Message.id))]
    return [*cases, (messages, events), *states]


def test_a_token_of_another_workspace_sees_nothing(client: TestClient, world: World, other_world: World,
                                                   acme_failed_reply: dict[str, Any]) -> None:
    globex = auth(token(other_world, other_world.agent))
    listed = client.get("/api/v1/cases", headers=globex, params={"status": "all"}).json()
    assert listed["items"] == []
    assert listed["counts"] == {"all": 0, "mine": 0, "unassigned": 0}
    assert client.get("/api/v1/cases", headers=globex,
                      params={"channel_account_id": world.account.id}).json()["items"] == []
    assert client.get("/api/v1/cases", headers=globex, params={"q": "acme"}).json()["items"] == []
    for number in (1, 2):
        response = client.get(f"/api/v1/cases/{number}", headers=globex)
        assert response.status_code == 404
        assert response.json() == {"error": "no such case"}  # the same answer as for a case that never existed
    for message_id in acme_failed_reply.values():
        response = client.get(f"/api/v1/messages/{message_id}", headers=globex)
        assert response.status_code == 404
        assert response.json() == {"error": "no such message"}
    channels = client.get("/api/v1/channels", headers=globex).json()["items"]
    assert [c["id"] for c in channels] == [other_world.account.id]
    me = client.get("/api/v1/me", headers=globex).json()
    assert me["workspace"]["slug"] == "globex"


def test_a_token_of_another_workspace_cannot_act(client: TestClient, world: World, other_world: World,
                                                 acme_failed_reply: dict[str, Any], network: FakeNetwork) -> None:
    globex = auth(token(other_world, other_world.agent))
    before = _snapshot(world)
    attempts = [
        ("/api/v1/cases/1/replies", {"text": "Hijacked"}, {"Idempotency-Key": "x-1"}),
        ("/api/v1/cases/1/replies", {"text": "Hijacked", "visibility": "private"}, {}),
        ("/api/v1/cases/1/notes", {"text": "Hijacked"}, {}),
        ("/api/v1/cases/1/assign", {"assignee_id": "me"}, {}),
        ("/api/v1/cases/1/assign", {"assignee_id": None}, {}),
        ("/api/v1/cases/2/status", {"status": "resolved"}, {}),
        ("/api/v1/cases/2/status", {"status": "closed"}, {}),
        (f"/api/v1/messages/{acme_failed_reply['reply_id']}/retry", None, {}),
        (f"/api/v1/messages/{acme_failed_reply['inbound_id']}/retry", None, {}),
    ]
    for path, body, headers in attempts:
        response = client.post(path, json=body, headers={**globex, **headers})
        assert response.status_code == 404, (path, response.text)
    world.run_jobs()
    other_world.run_jobs()
    assert _snapshot(world) == before
    assert network.sent == []


def test_same_case_numbers_resolve_to_each_workspaces_own_case(client: TestClient, world: World,
                                                               other_world: World, network: FakeNetwork) -> None:
    deliver(client, world, "Acme customer", author="marie")
    deliver(client, other_world, "Globex customer", author="marie")
    acme, globex = auth(token(world, world.agent)), auth(token(other_world, other_world.agent))
    acme_case = client.get("/api/v1/cases/1", headers=acme).json()
    globex_case = client.get("/api/v1/cases/1", headers=globex).json()
    assert [i["message"]["text"] for i in acme_case["timeline"] if i["kind"] == "message"] == ["Acme customer"]
    assert [i["message"]["text"] for i in globex_case["timeline"] if i["kind"] == "message"] == ["Globex customer"]
    assert acme_case["contact"]["id"] != globex_case["contact"]["id"]
    # acting on "case 1" with globex's token changes globex's case only
    response = client.post("/api/v1/cases/1/status", json={"status": "resolved"}, headers=globex)
    assert response.status_code == 200
    assert case_row(other_world, 1).status == "resolved"
    assert case_row(world, 1).status == "new"
    # the same idempotency key in both workspaces makes two replies, one per workspace
    for headers in (acme, globex):
        response = client.post("/api/v1/cases/1/replies", json={"text": "Hello"},
                               headers={**headers, "Idempotency-Key": "shared-key"})
        assert response.status_code == 201
    world.run_jobs()
    assert len(network.sent) == 2


def test_a_user_of_another_workspace_cannot_be_assigned(client: TestClient, world: World, other_world: World,
                                                        agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Acme customer", author="marie")
    response = client.post("/api/v1/cases/1/assign", json={"assignee_id": other_world.agent.id},
                           headers=agent_headers)
    assert response.status_code == 422
    assert response.json()["details"] == [{"field": "assignee_id", "message": "no such user in this workspace"}]
    assert case_row(world, 1).assignee_id is None


def test_a_reply_cannot_target_another_workspaces_message(client: TestClient, world: World, other_world: World,
                                                          agent_headers: dict[str, str]) -> None:
    deliver(client, world, "Acme customer", author="marie")
    deliver(client, other_world, "Globex customer", author="paul")
    globex = auth(token(other_world, other_world.agent))
    globex_message = timeline_messages(client, globex, 1)[0]["id"]
    response = client.post("/api/v1/cases/1/replies", json={"text": "Hi", "reply_to_message_id": globex_message},
                           headers=agent_headers)
    assert response.status_code == 404
    with world.runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound")) == 0
