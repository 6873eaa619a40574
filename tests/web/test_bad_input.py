"""Input that is not what a route expects gets a 4xx with a clear message, never a 500 (issue 21, point 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.connectors.sandbox import sign
from compris.models import Job, JobStatus, RawEvent, RawEventStatus
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent

BIG = 2**31
HUGE = 2**70


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    yield TestClient(create_app(settings, runtime, workers=0), raise_server_exceptions=False)


def _signed(world: World, raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "x-sandbox-signature": sign(world.webhook_secret, raw)}


# --- webhooks ----------------------------------------------------------------------------------------------


def test_deeply_nested_json_to_a_webhook_is_a_400(client: TestClient, world: World) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "nested" in response.json()["error"]
    signed = client.post(f"/webhooks/{world.account.id}", content=raw, headers=_signed(world, raw))
    assert signed.status_code == 400


@pytest.mark.parametrize("account_id", [str(BIG), str(HUGE), "-1", "0"])
def test_an_out_of_range_account_is_unknown(client: TestClient, account_id: str) -> None:
    response = client.post(f"/webhooks/{account_id}", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]


def test_invalid_utf8_to_a_webhook_is_a_400(client: TestClient, world: World) -> None:
    raw = b'{"event_id": "\xff\xfe", "type": "message"}'
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=_signed(world, raw))
    assert response.status_code == 400


@pytest.mark.parametrize("event_id", ["evt-\u0000-nul", "evt-\ud800-lone", "\u0000", "x" * 5000])
def test_an_event_id_with_nul_or_a_lone_surrogate(client: TestClient, world: World, event_id: str) -> None:
    payload = world.payload("hello")
    payload["event_id"] = event_id
    raw = json.dumps(payload).encode()  # ensure_ascii: the NUL and the surrogate are escaped, the JSON is valid
    response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=_signed(world, raw))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:  # sanitised: stored once, processed
        assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=_signed(world, raw)).status_code == 200
        assert world.run_jobs() >= 1
        with world.runtime.db.transaction() as s:
            rows = list(s.scalars(select(RawEvent)))
            assert len(rows) == 1 and "\x00" not in rows[0].event_key
            assert rows[0].status == RawEventStatus.PROCESSED


@pytest.mark.parametrize("field,value", [("attachments", "x"), ("attachments", [1, 2]), ("author", "x"),
                                          ("text", {"a": 1}), ("created_at", 12), ("id", None),
                                          ("rating", "five"), ("reshares", "many"), ("choice", {"x": 1})])
def test_a_wrong_typed_field_is_unprocessable_at_once(client: TestClient, world: World, field: str,
                                                      value: object) -> None:
    payload = world.payload("hello")
    payload["data"][field] = value
    raw = json.dumps(payload).encode()
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=_signed(world, raw)).status_code == 200
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        event = s.scalars(select(RawEvent)).one()
        assert event.status == RawEventStatus.UNPROCESSABLE, event.status
        assert event.error and field in event.error
        job = s.scalars(select(Job)).one()
        assert job.status == JobStatus.DONE and job.attempts == 1


# --- path parameters out of range ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/cases/{n}", "/api/v1/channels/{n}", "/api/v1/teams/{n}",
                                  "/api/v1/uploads/{n}"])
def test_api_ids_out_of_range_are_404(client: TestClient, world: World, path: str) -> None:
    headers = auth(token(world, world.admin))
    for n in (BIG, HUGE, 2**63):
        response = client.get(path.format(n=n), headers=headers)
        assert response.status_code == 404, (path, n, response.text)
        assert response.json()["error"].startswith("no such")


def _admin(settings: Settings, runtime: Runtime, world: World) -> Agent:
    client = TestClient(create_app(settings, runtime, workers=0), follow_redirects=False,
                        raise_server_exceptions=False)
    return Agent(client, world.admin.email)


def test_page_ids_out_of_range_are_404(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _admin(settings, runtime, world)
    response = admin.get(f"/cases/{BIG}", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<html" in response.text.lower()


# --- text PostgreSQL cannot store ----------------------------------------------------------------------------


def test_nul_and_lone_surrogates_in_api_bodies_and_queries_are_400(client: TestClient, world: World) -> None:
    headers = auth(token(world, world.admin))
    for text in ("a\\u0000b", "a\\ud800b"):
        raw = ('{"name": "' + text + '", "description": "x"}').encode()
        response = client.post("/api/v1/teams", content=raw, headers={**headers, "content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert "name" in response.json()["error"]
    response = client.get("/api/v1/cases?q=a%00b", headers=headers)
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_nul_in_a_form_field_is_400(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _admin(settings, runtime, world)
    response = admin.post("/admin/channels/sandbox", {"name": "a\x00b", "external_id": "x",
                                                      "api_base": "http://x"})
    assert response.status_code == 400


def test_deep_json_to_the_api_is_400(client: TestClient, world: World) -> None:
    headers = {**auth(token(world, world.admin)), "content-type": "application/json"}
    raw = b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert client.post("/api/v1/teams", content=raw, headers=headers).status_code in (400, 422)
    raw = b'{"name": "x", "description": ' + b"[" * 100 + b"]" * 100 + b"}"
    assert client.post("/api/v1/teams", content=raw, headers=headers).status_code in (400, 422)


def test_int_converter_ids_out_of_range_are_404(settings: Settings, runtime: Runtime, world: World) -> None:
    admin = _admin(settings, runtime, world)
    for path in (f"/admin/deliveries/{HUGE}/replay", f"/admin/webhooks/{BIG}/ping",
                 f"/admin/channels/{BIG}/test"):
        response = admin.post(path)
        assert response.status_code == 404, (path, response.status_code)
