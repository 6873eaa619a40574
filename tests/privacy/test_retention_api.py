"""``/api/v1/retention`` (SettingsApi): read, replace (422 naming the field), preview equal to what a run removes,
OpenAPI documented, supervisors and agents refused; ``compris retention apply [--workspace] [--dry-run]``; the daily
job is registered on the background lane."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from compris.accounts import actions as accounts
from compris.config import Settings
from compris.kit.clock import now
from compris.models import Message, RetentionPolicy, User, Workspace
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker import queue
from tests.conftest import World
from tests.privacy.retention_helpers import closed_case, fake_audit_purge, file_exists, raw_event, stored_file
from tests.web.api.helpers import auth


def token(world: World, user: User) -> str:
    """A token of ``user`` with every scope (the role still decides)."""
    with world.runtime.db.transaction() as s:
        row = s.get(User, user.id)
        assert row is not None
        api_token, raw = accounts.create_token(s, row, "test")
        api_token.scopes = "read write admin"
    return raw


@pytest.fixture(autouse=True)
def _audit_purge(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_audit_purge(monkeypatch)


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    yield TestClient(create_app(settings, runtime, workers=0))


def _old_data(world: World) -> int:
    old = now() - timedelta(days=800)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, old)
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        upload = stored_file(s, world, inbound, old, "api")
        raw_event(s, world, old, "processed", "k1")
        raw_event(s, world, old, "pending", "k2")
        return upload.id


def test_read_replace_and_preview(client: TestClient, world: World) -> None:
    _old_data(world)
    headers = auth(token(world, world.admin))
    got = client.get("/api/v1/retention", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["messages_days"] is None and body["last_run"] is None and body["last_run_at"] is None
    assert body["minimum_days"] == {"messages_days": 30, "attachments_days": 7, "raw_events_days": 1,
                                    "audit_days": 30}
    put = client.put("/api/v1/retention", headers=headers,
                     json={"messages_days": 730, "attachments_days": 365, "raw_events_days": 90, "audit_days": None})
    assert put.status_code == 200, put.text
    assert put.json()["messages_days"] == 730 and put.json()["audit_days"] is None
    preview = client.get("/api/v1/retention/preview", headers=headers)
    assert preview.status_code == 200
    items = {i["kind"]: i for i in preview.json()["items"]}
    assert {k: i["count"] for k, i in items.items()} == {"messages": 2, "attachments": 1, "raw_events": 1,
                                                         "audit_entries": 0}
    assert items["messages"]["days"] == 730 and items["messages"]["oldest"].endswith("+00:00")
    assert items["audit_entries"]["oldest"] is None

    from compris.privacy.actions import retention
    run = retention.apply(world.runtime.db, world.workspace_id, data_dir=world.runtime.settings.data_dir)
    assert run.counts.as_dict() == {k: i["count"] for k, i in items.items()}
    after = client.get("/api/v1/retention", headers=headers).json()
    assert after["last_run"] == {"messages": 2, "attachments": 1, "raw_events": 1, "audit_entries": 0}
    assert after["last_run_at"] is not None


@pytest.mark.parametrize(("body", "field"), [
    ({"messages_days": 5}, "messages_days"),
    ({"audit_days": 29}, "audit_days"),
    ({"raw_events_days": 0}, "raw_events_days"),
    ({"attachments_days": 99999}, "attachments_days"),
])
def test_bad_periods_answer_422_naming_the_field(client: TestClient, world: World, body: dict[str, int],
                                                 field: str) -> None:
    headers = auth(token(world, world.admin))
    response = client.put("/api/v1/retention", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["error"].startswith(f"{field}: at ")
    with world.runtime.db.transaction() as s:
        assert s.scalar(select(RetentionPolicy)) is None


def test_unknown_fields_and_wrong_types_are_refused(client: TestClient, world: World) -> None:
    headers = auth(token(world, world.admin))
    assert client.put("/api/v1/retention", headers=headers, json={"forever": 1}).status_code == 422
    assert client.put("/api/v1/retention", headers=headers, json={"messages_days": "lots"}).status_code == 422


def test_supervisors_and_agents_are_refused(client: TestClient, world: World) -> None:
    with world.runtime.db.transaction() as s:
        ws = s.get(Workspace, world.workspace_id)
        assert ws is not None
        sup = accounts.create_user(s, workspace=ws, email="sup@acme.test", name="Sup",
                                   password="correct horse battery", role="supervisor")
        sup_id = sup.id
    with world.runtime.db.transaction() as s:
        supervisor = s.get(User, sup_id)
        assert supervisor is not None
    for user in (supervisor, world.agent):
        headers = auth(token(world, user))
        assert client.get("/api/v1/retention", headers=headers).status_code == 403
        assert client.get("/api/v1/retention/preview", headers=headers).status_code == 403
        assert client.put("/api/v1/retention", headers=headers, json={"messages_days": 40}).status_code == 403


def test_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/retention"])
    assert "get" in spec["paths"]["/api/v1/retention/preview"]
    assert spec["paths"]["/api/v1/retention"]["put"]["summary"] == "Replace the retention policy"
    assert "422" in spec["paths"]["/api/v1/retention"]["put"]["responses"]


def test_the_command(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from compris.cli import app
    from compris.config import get_settings
    from compris.privacy.actions import retention

    upload_id = _old_data(world)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        retention.save_policy(s, None, actor=admin, values={"attachments_days": 365, "raw_events_days": 90})
        from compris.models import Upload
        upload = s.get(Upload, upload_id)
        assert upload is not None
        s.expunge(upload)
    monkeypatch.setenv("COMPRIS_DATABASE_URL", world.runtime.settings.database_url)
    monkeypatch.setenv("COMPRIS_DATA_DIR", str(world.runtime.settings.data_dir))
    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "acme: would remove messages: 0, attachments: 1, raw events: 1, audit entries: 0" in dry.output
    assert file_exists(world, upload)
    done = runner.invoke(app, ["retention", "apply", "--workspace", "acme"])
    assert done.exit_code == 0, done.output
    assert "acme: removed messages: 0, attachments: 1, raw events: 1, audit entries: 0" in done.output
    assert not file_exists(world, upload)
    again = runner.invoke(app, ["retention", "apply", "--workspace", "acme"])
    assert "acme: removed messages: 0, attachments: 0, raw events: 0, audit entries: 0" in again.output
    assert runner.invoke(app, ["retention", "apply", "--workspace", "nobody"]).exit_code == 2


def test_the_daily_job_is_registered_on_the_background_lane() -> None:
    queue.load_tasks()
    assert queue.PERIODIC["privacy.retention"].every == timedelta(days=1)
    assert queue.LANES["privacy.retention"] == queue.BACKGROUND_LANE


def test_the_job_applies_every_workspace_with_a_policy(world: World) -> None:
    from compris.privacy.actions import retention

    _old_data(world)
    with world.runtime.db.transaction() as s:
        admin = s.get(User, world.admin.id)
        assert admin is not None
        retention.save_policy(s, None, actor=admin, values={"raw_events_days": 30})
        queue.enqueue(s, world.runtime.publisher, workspace_id=world.workspace_id, kind="privacy.retention",
                      payload={})
    world.run_jobs()
    with world.runtime.db.transaction() as s:
        policy = s.scalar(select(RetentionPolicy))
        assert policy is not None and policy.last_run == {"messages": 0, "attachments": 0, "raw_events": 1,
                                                          "audit_entries": 0}
