"""Admin → Deliveries: deliveries set aside as unprocessable, with their reason and a replay button; the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from compris.config import Settings
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import actions, ingest
from compris.kit.clock import now
from compris.models import CaseEvent, Job, Message, RawEvent, RawEventStatus
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker.queue import JobRun
from tests.conftest import World
from tests.web.api.helpers import auth, token
from tests.web.test_pages import Agent


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    yield TestClient(create_app(settings, runtime, workers=0), follow_redirects=False)


def _deliver_bad(client: TestClient, world: World, **data: Any) -> int:
    payload = world.payload("Where is my <b>parcel</b>?", attachments="x", **data)
    raw, headers = world.body(payload)
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        event = s.scalars(select(RawEvent)).one()
        assert event.status == RawEventStatus.UNPROCESSABLE
        return event.id


def _messages(world: World) -> int:
    with world.runtime.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Message)) or 0)


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A connector update: the sandbox connector learns to read a single attachment given as a string."""
    original = SandboxConnector.parse

    def parse(self: SandboxConnector, account: Any, body: bytes) -> Any:
        envelope = json.loads(body)
        if isinstance(envelope.get("data", {}).get("attachments"), str):
            envelope["data"]["attachments"] = []
        return original(self, account, json.dumps(envelope).encode())

    return lambda: monkeypatch.setattr(SandboxConnector, "parse", parse)


def test_the_page_shows_the_reason_and_replays_once_fixed(client: TestClient, world: World, lenient: Any) -> None:
    raw_id = _deliver_bad(client, world)
    admin = Agent(client, world.admin.email)
    page = admin.get("/admin/deliveries").text
    assert "Deliveries" in page and "attachments: expected a list" in page
    assert "&lt;b&gt;parcel&lt;/b&gt;" in page and "<b>parcel</b>" not in page  # the body, escaped
    assert f'action="/admin/deliveries/{raw_id}/replay"' in page
    assert admin.get("/admin/raw-events").headers["location"] == "/admin/deliveries"  # the former address

    # replayed before the fix: set aside again, with its reason
    replayed = admin.post(f"/admin/deliveries/{raw_id}/replay")
    assert replayed.status_code == 303 and replayed.headers["location"] == "/admin/deliveries?done=queued"
    assert "queued for processing again" in admin.get("/admin/deliveries?done=queued").text
    world.run_jobs()
    assert "attachments: expected a list" in admin.get("/admin/deliveries").text

    lenient()  # the connector is fixed
    assert admin.post(f"/admin/deliveries/{raw_id}/replay").headers["location"].endswith("done=queued")
    # a second click before the job ran adds nothing
    assert admin.post(f"/admin/deliveries/{raw_id}/replay").headers["location"].endswith("done=pending")
    world.run_jobs()
    assert _messages(world) == 1
    assert f"delivery-{raw_id}" not in admin.get("/admin/deliveries").text
    # processed once: never twice
    again = admin.post(f"/admin/deliveries/{raw_id}/replay")
    assert again.headers["location"].endswith("done=processed")
    world.run_jobs()
    assert _messages(world) == 1
    with world.runtime.db.transaction() as s:  # each replay is audited
        rows = [e.data for e in s.scalars(select(CaseEvent).where(CaseEvent.kind == "settings_changed"))]
        assert sum(1 for d in rows if d.get("entity") == "delivery" and d.get("action") == "replayed") == 2


def test_replay_is_for_admins_with_csrf(client: TestClient, world: World, settings: Settings,
                                        runtime: Runtime) -> None:
    raw_id = _deliver_bad(client, world)
    agent = Agent(client, world.agent.email)
    assert agent.get("/admin/deliveries").status_code == 403
    assert agent.post(f"/admin/deliveries/{raw_id}/replay").status_code == 403
    admin = Agent(TestClient(create_app(settings, runtime, workers=0), follow_redirects=False), world.admin.email)
    assert admin.post(f"/admin/deliveries/{raw_id}/replay", csrf=False).status_code == 403
    assert admin.post("/admin/deliveries/999999/replay").headers["location"].endswith("done=missing")
    with world.runtime.db.transaction() as s:
        assert s.get(RawEvent, raw_id).status == RawEventStatus.UNPROCESSABLE  # type: ignore[union-attr]


def test_the_api_lists_and_replays(client: TestClient, world: World, world_factory: Any, lenient: Any) -> None:
    raw_id = _deliver_bad(client, world)
    headers = auth(token(world, world.admin))
    listed = client.get("/api/v1/raw-events", headers=headers).json()["items"]
    assert [(e["id"], e["status"]) for e in listed] == [(raw_id, "unprocessable")]
    assert "attachments" in listed[0]["error"] and "parcel" in listed[0]["body_start"]
    assert client.get("/api/v1/raw-events", headers=auth(token(world, world.agent))).status_code == 403
    assert client.post(f"/api/v1/raw-events/{raw_id}/replay",
                       headers=auth(token(world, world.agent))).status_code == 403
    other = world_factory("globex")
    assert client.post(f"/api/v1/raw-events/{raw_id}/replay",
                       headers=auth(token(other, other.admin))).status_code == 404  # another workspace's
    lenient()
    first = client.post(f"/api/v1/raw-events/{raw_id}/replay", headers=headers)
    assert first.status_code == 202 and first.json() == {"id": raw_id, "outcome": "queued"}
    assert client.post(f"/api/v1/raw-events/{raw_id}/replay", headers=headers).json()["outcome"] == "pending"
    world.run_jobs()
    assert _messages(world) == 1
    done = client.post(f"/api/v1/raw-events/{raw_id}/replay", headers=headers)
    assert done.status_code == 409 and "never processed twice" in done.json()["error"]
    assert client.get("/api/v1/raw-events", headers=headers).json()["items"] == []


def test_a_stuck_pending_delivery_is_shown_and_replayed(client: TestClient, world: World) -> None:
    raw, headers = world.body(world.payload("hello"))
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    with world.runtime.db.transaction() as s:  # an hour old, its job still queued (a backlog): not stuck
        event = s.scalars(select(RawEvent)).one()
        event.created_at = now() - timedelta(hours=1)
        raw_id = event.id
    admin = Agent(client, world.admin.email)
    assert f"delivery-{raw_id}" not in admin.get("/admin/deliveries").text
    with world.runtime.db.transaction() as s:  # its job was lost (a crash before this version)
        s.execute(Job.__table__.delete())
    assert "its job was lost" in admin.get("/admin/deliveries").text
    assert admin.post(f"/admin/deliveries/{raw_id}/replay").headers["location"].endswith("done=queued")
    world.run_jobs()
    assert _messages(world) == 1


# --- the processing job's error handling ---------------------------------------------------------------------


def _run(world: World, raw_id: int, attempt: int) -> None:
    ingest.process_raw_event(JobRun(world.runtime.services, 0, world.workspace_id, {"raw_event_id": raw_id},
                                    attempt))


def _pending(client: TestClient, world: World) -> int:
    raw, headers = world.body(world.payload("hello"))
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    with world.runtime.db.transaction() as s:
        return s.scalars(select(RawEvent)).one().id


def _status(world: World, raw_id: int) -> tuple[str, str | None]:
    with world.runtime.db.transaction() as s:
        event = s.get(RawEvent, raw_id)
        assert event is not None
        return event.status, event.error


def test_a_crash_is_retried_then_set_aside(client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    raw_id = _pending(client, world)

    def broken(*args: Any, **kw: Any) -> None:
        raise RuntimeError("a bug in a listener")

    monkeypatch.setattr(actions, "record_inbound", broken)
    with pytest.raises(RuntimeError):
        _run(world, raw_id, attempt=1)
    assert _status(world, raw_id) == (RawEventStatus.PENDING, None)
    _run(world, raw_id, attempt=ingest.PROCESS_ATTEMPTS)
    status, error = _status(world, raw_id)
    assert status == RawEventStatus.UNPROCESSABLE and error and "a bug in a listener" in error


def test_a_transient_database_error_stays_retryable(client: TestClient, world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    raw_id = _pending(client, world)

    def away(*args: Any, **kw: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(actions, "record_inbound", away)
    for attempt in (1, ingest.PROCESS_ATTEMPTS):
        with pytest.raises(OperationalError):
            _run(world, raw_id, attempt=attempt)
        assert _status(world, raw_id) == (RawEventStatus.PENDING, None)


def test_text_postgresql_cannot_store_is_cleaned(client: TestClient, world: World) -> None:
    payload = world.payload("nul \x00 and lone \ud800 here", author="cust-\x00")
    raw = json.dumps(payload).encode()
    from compris.connectors.sandbox import sign

    headers = {"content-type": "application/json", "x-sandbox-signature": sign(world.webhook_secret, raw)}
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        assert s.scalars(select(RawEvent)).one().status == RawEventStatus.PROCESSED
        text = s.scalars(select(Message)).one().text
        assert "\x00" not in text and "nul" in text and "here" in text


def test_a_value_too_long_for_its_column_is_unprocessable(client: TestClient, world: World) -> None:
    payload = world.payload("hello", message_id="m" * 5000)
    raw, headers = world.body(payload)
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        event = s.scalars(select(RawEvent)).one()
        # PostgreSQL refuses it (set aside with the reason); SQLite stores it
        assert event.status in (RawEventStatus.PROCESSED, RawEventStatus.UNPROCESSABLE)
        if event.status == RawEventStatus.UNPROCESSABLE:
            assert event.error and "database refused" in event.error
        job = s.scalars(select(Job)).one()
        assert job.attempts == 1


def test_the_page_in_french(client: TestClient, world: World) -> None:
    raw_id = _deliver_bad(client, world)
    with world.runtime.db.transaction() as s:
        from compris.models import User

        user = s.get(User, world.admin.id)
        assert user is not None
        user.language = "fr"
    admin = Agent(client, world.admin.email)
    page = admin.get("/admin/deliveries").text
    assert "Livraisons" in page and "Rejouer" in page
    admin.post(f"/admin/deliveries/{raw_id}/replay")
    assert "sera traitée à nouveau" in admin.get("/admin/deliveries?done=queued").text
