"""Replies through the API: queued, sent once by the worker, idempotent on retried POSTs, retried when failed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compris.connectors.base import SendError
from compris.inbox import outbound
from compris.models import Message, Outbox
from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, deliver, timeline_messages

REPLY = "So sorry, Marie. We are on it."


def _reply(client: TestClient, headers: dict[str, str], number: int = 1, key: str | None = None,
           **body: Any) -> Any:
    body.setdefault("text", REPLY)
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/cases/{number}/replies", json=body, headers={**headers, **extra})


def _message(client: TestClient, headers: dict[str, str], message_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/messages/{message_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _outbound_count(world: World) -> int:
    with world.runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound",
                                                                                   Message.visibility != "note"))
                   or 0)


def test_a_reply_is_queued_then_sent(client: TestClient, world: World, agent_headers: dict[str, str],
                                     network: FakeNetwork) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    response = _reply(client, agent_headers)
    assert response.status_code == 201, response.text
    reply = response.json()
    assert reply["text"] == REPLY
    assert reply["direction"] == "outbound"
    assert reply["visibility"] == "public"
    assert reply["author"]["user"]["id"] == world.agent.id
    assert reply["delivery"] == {"state": "queued", "error": None, "attempts": 0, "next_attempt_at": None,
                                 "manual_send_url": None}
    assert network.sent == []  # nothing leaves before the worker runs

    world.run_jobs()
    sent = _message(client, agent_headers, reply["id"])
    assert sent["delivery"]["state"] == "sent"
    assert sent["platform_message_id"] == "sent-1"
    assert [m.text for m in network.sent] == [REPLY]
    case = client.get("/api/v1/cases/1", headers=agent_headers).json()
    assert case["status"] == "open"
    assert case["assignee"]["id"] == world.agent.id  # replying takes the case
    assert case["first_response_at"] is not None
    [shown] = [i["message"] for i in case["timeline"] if i["kind"] == "message" and i["message"]["id"] == reply["id"]]
    assert shown["delivery"]["state"] == "sent"


def test_an_unreachable_network_shows_retrying_with_the_reason(client: TestClient, world: World,
                                                                 agent_headers: dict[str, str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the real sandbox connector, pointed at http://sandbox.invalid, cannot connect
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 60.0)
    deliver(client, world, "My bag is lost", author="marie")
    reply = _reply(client, agent_headers).json()
    world.run_jobs()
    delivery = _message(client, agent_headers, reply["id"])["delivery"]
    assert delivery["state"] == "retrying"
    assert delivery["error"].startswith("could not reach Sandbox network")
    assert delivery["attempts"] >= 1
    assert delivery["next_attempt_at"] is not None
    case = client.get("/api/v1/cases/1", headers=agent_headers).json()
    events = [i["event"] for i in case["timeline"] if i["kind"] == "event"]
    assert any(e["kind"] == "reply_retrying" and e["data"]["reason"].startswith("could not reach Sandbox network")
               for e in events)


def test_a_reply_fails_after_the_last_attempt_with_the_reason(client: TestClient, world: World,
                                                              agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    reply = _reply(client, agent_headers).json()
    world.run_jobs()  # no backoff in tests: every attempt runs now
    delivery = _message(client, agent_headers, reply["id"])["delivery"]
    assert delivery["state"] == "failed"
    assert delivery["error"].startswith("could not reach Sandbox network")
    assert delivery["attempts"] == outbound.MAX_SEND_ATTEMPTS
    assert delivery["next_attempt_at"] is None


def test_a_private_reply_moves_to_a_direct_message(client: TestClient, world: World,
                                                   agent_headers: dict[str, str], network: FakeNetwork) -> None:
    deliver(client, world, "My booking ref is somewhere", author="marie")
    response = _reply(client, agent_headers, text="Could you send us your booking reference here?",
                      visibility="private")
    assert response.status_code == 201, response.text
    assert response.json()["visibility"] == "private"
    assert response.json()["thread"]["visibility"] == "private"
    world.run_jobs()
    assert network.sent[0].recipient is not None and network.sent[0].recipient.platform_user_id == "marie"


@pytest.mark.parametrize("via", ["header", "body"])
def test_a_retried_post_creates_one_reply(client: TestClient, world: World, agent_headers: dict[str, str],
                                          network: FakeNetwork, via: str) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    key = "6f1c2c8e-2d4b-4a55-9d0f-1c3f1e0f7a11"

    def post() -> Any:
        if via == "header":
            return _reply(client, agent_headers, key=key)
        return _reply(client, agent_headers, idempotency_key=key)

    first = post()
    assert first.status_code == 201
    again = post()
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    world.run_jobs()
    third = post()
    assert third.status_code == 200
    assert third.json()["delivery"]["state"] == "sent"
    assert _outbound_count(world) == 1
    assert len(network.sent) == 1


def test_without_a_key_each_post_is_a_new_reply(client: TestClient, world: World,
                                                agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    assert _reply(client, agent_headers).status_code == 201
    assert _reply(client, agent_headers).status_code == 201
    assert _outbound_count(world) == 2


def test_a_key_reused_for_another_reply_is_a_conflict(client: TestClient, world: World,
                                                      agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    deliver(client, world, "My flight is late", author="jean")
    assert _reply(client, agent_headers, key="k-1").status_code == 201
    other_text = _reply(client, agent_headers, key="k-1", text="Something else")
    assert other_text.status_code == 409
    assert "idempotency key" in other_text.json()["error"]
    assert _reply(client, agent_headers, number=2, key="k-1").status_code == 409
    assert _reply(client, agent_headers, key="k-1", visibility="private").status_code == 409
    assert _outbound_count(world) == 1


def test_keys_are_private_to_each_user(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    from tests.web.api.helpers import auth, token

    deliver(client, world, "My bag is lost", author="marie")
    admin_headers = auth(token(world, world.admin))
    assert _reply(client, agent_headers, key="same").status_code == 201
    assert _reply(client, admin_headers, key="same").status_code == 201
    assert _outbound_count(world) == 2


def test_header_and_body_keys_must_agree(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    response = _reply(client, agent_headers, key="a", idempotency_key="b")
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "idempotency_key"


def test_bad_replies_are_refused_per_field(client: TestClient, world: World, agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    response = client.post("/api/v1/cases/1/replies", headers=agent_headers,
                           json={"text": "", "visibility": "shouting", "reply_to_message_id": "x", "colour": 1})
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {"text", "visibility", "reply_to_message_id", "colour"}
    assert client.post("/api/v1/cases/1/replies", headers=agent_headers, content=b"not json",
                       ).status_code == 422
    spaces = _reply(client, agent_headers, text="   ")
    assert spaces.status_code == 422 and spaces.json() == {"error": "the message is empty"}
    too_long = _reply(client, agent_headers, text="x" * 1001)  # over the sandbox's public limit
    assert too_long.status_code == 422
    assert "1000" in too_long.json()["error"]
    bad_key = _reply(client, agent_headers, key="has space")
    assert bad_key.status_code == 422
    assert bad_key.json()["details"][0]["field"] == "Idempotency-Key"
    assert _outbound_count(world) == 0


def test_replying_to_a_message_of_another_case_is_refused(client: TestClient, world: World,
                                                          agent_headers: dict[str, str]) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    deliver(client, world, "My flight is late", author="jean")
    jeans = [i["message"]["id"] for i in client.get("/api/v1/cases/2", headers=agent_headers).json()["timeline"]
             if i["kind"] == "message"]
    response = _reply(client, agent_headers, number=1, reply_to_message_id=jeans[0])
    assert response.status_code == 404
    assert _outbound_count(world) == 0


def test_a_failed_reply_can_be_retried(client: TestClient, world: World, agent_headers: dict[str, str],
                                       network: FakeNetwork) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    network.error = SendError("the account is suspended", retryable=False)
    reply = _reply(client, agent_headers).json()
    world.run_jobs()
    failed = _message(client, agent_headers, reply["id"])["delivery"]
    assert failed["state"] == "failed"
    assert failed["error"] == "the account is suspended"

    network.error = None
    response = client.post(f"/api/v1/messages/{reply['id']}/retry", headers=agent_headers)
    assert response.status_code == 202, response.text
    assert response.json()["delivery"]["state"] == "queued"
    assert response.json()["delivery"]["error"] is None
    world.run_jobs()
    assert _message(client, agent_headers, reply["id"])["delivery"]["state"] == "sent"
    assert len(network.sent) == 1
    with world.runtime.db.transaction() as session:
        assert session.scalars(select(Outbox)).one().state == "sent"


def test_only_a_failed_reply_can_be_retried(client: TestClient, world: World, agent_headers: dict[str, str],
                                            network: FakeNetwork) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    reply = _reply(client, agent_headers).json()
    assert client.post(f"/api/v1/messages/{reply['id']}/retry", headers=agent_headers).status_code == 409  # queued
    world.run_jobs()
    response = client.post(f"/api/v1/messages/{reply['id']}/retry", headers=agent_headers)
    assert response.status_code == 409
    assert response.json() == {"error": "only a failed reply can be retried"}
    assert len(network.sent) == 1
    customer = timeline_messages(client, agent_headers, 1)[0]["id"]
    assert client.post(f"/api/v1/messages/{customer}/retry", headers=agent_headers).status_code == 422
    assert client.post("/api/v1/messages/999999/retry", headers=agent_headers).status_code == 404


def test_concurrent_retries_of_one_post_create_one_reply(client: TestClient, world: World,
                                                         agent_headers: dict[str, str], network: FakeNetwork) -> None:
    deliver(client, world, "My bag is lost", author="marie")
    statuses: list[int] = []
    ids: set[int] = set()

    def post() -> None:
        response = _reply(client, agent_headers, key="concurrent-1")
        statuses.append(response.status_code)
        ids.add(response.json()["id"])

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert len(ids) == 1
    world.run_jobs()
    assert _outbound_count(world) == 1
    assert len(network.sent) == 1
