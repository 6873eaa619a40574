"""Business actions in the agent UI: the case page's panel (prefilled form, run, errors, 403) and the admin pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from compris.business import tasks
from compris.business.standin import StandIn
from compris.config import Settings
from compris.runtime import Runtime
from tests.business.helpers import PREFILL, SCHEMA, make_action
from tests.conftest import World
from tests.web.test_pages import Agent, customer_writes, make_client


@pytest.fixture(autouse=True)
def local_endpoints(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "allow_local_http_endpoints", True)
    monkeypatch.setattr(tasks, "backoff", lambda attempt: 0.0)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn("x", lambda p: (200, {"flight": "AF1234", "seat": "<script>14C</script>"})).start()
    yield server
    server.stop()


def test_the_panel_prefills_runs_and_shows_the_result_on_the_timeline(settings: Settings, runtime: Runtime,
                                                                      world: World, standin: StandIn) -> None:
    _, standin.secret = make_action(world, standin.url())
    client = make_client(settings, runtime)
    customer_writes(client, world, "Please rebook me, booking reference K7XQ2M")
    agent = Agent(client, world.agent.email)
    page = agent.get("/cases/1")
    assert page.status_code == 200
    assert 'id="business-actions"' in page.text and 'data-action="rebook"' in page.text
    assert re.search(r'name="record_locator" value="K7XQ2M"', page.text)
    # a refused attempt shows the field errors, nothing is queued
    refused = agent.post("/cases/1/actions/rebook", {"record_locator": "K7XQ2M", "flight_date": ""}, htmx=True)
    assert refused.status_code == 422 and "this field is required" in refused.text
    assert 'aria-invalid="true"' in refused.text
    done = agent.post("/cases/1/actions/rebook", {"record_locator": "K7XQ2M", "flight_date": "2026-12-24",
                                                  "idempotency_key": "form-1"}, htmx=True)
    assert done.status_code == 200, done.text
    world.run_jobs()
    page = agent.get("/cases/1")
    assert "Rebook succeeded" in page.text and "AF1234" in page.text
    assert "<script>14C</script>" not in page.text and "&lt;script&gt;14C&lt;/script&gt;" in page.text


def test_an_agent_without_permission_sees_no_panel_and_is_refused(settings: Settings, runtime: Runtime,
                                                                  world: World, standin: StandIn) -> None:
    make_action(world, standin.url(), roles=("admin",))
    client = make_client(settings, runtime)
    customer_writes(client, world, "Please rebook me")
    agent = Agent(client, world.agent.email)
    assert 'id="business-actions"' not in agent.get("/cases/1").text
    refused = agent.post("/cases/1/actions/rebook", {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"})
    assert refused.status_code == 403
    assert standin.seen == []


def test_a_failed_run_shows_its_error_escaped(settings: Settings, runtime: Runtime, world: World) -> None:
    server = StandIn("x", lambda p: (409, {"error": "<b>no seat</b>"})).start()
    try:
        _, server.secret = make_action(world, server.url())
        client = make_client(settings, runtime)
        customer_writes(client, world, "Please rebook me")
        agent = Agent(client, world.agent.email)
        agent.post("/cases/1/actions/rebook", {"record_locator": "K7XQ2M", "flight_date": "2026-12-24"})
        world.run_jobs()
        page = agent.get("/cases/1").text
        assert "Rebook failed" in page and "&lt;b&gt;no seat&lt;/b&gt;" in page and "<b>no seat</b>" not in page
    finally:
        server.stop()


def test_admin_pages_create_show_the_secret_once_edit_and_deactivate(settings: Settings, runtime: Runtime,
                                                                    world: World, standin: StandIn) -> None:
    client = make_client(settings, runtime)
    admin = Agent(client, world.admin.email)
    assert admin.get("/admin/business").status_code == 200
    assert admin.get("/admin/business/new").status_code == 200
    form = {"key": "rebook", "name_en": "Rebook", "name_fr": "Changer de vol", "endpoint_url": standin.url(),
            "input_schema": json.dumps(SCHEMA), "prefill_rules": json.dumps(PREFILL), "roles": ["agent"],
            "timeout_seconds": "5", "max_attempts": "3", "is_active": "1"}
    bad = admin.post("/admin/business", {**form, "input_schema": "{not json"})
    assert bad.status_code == 422 and "not valid JSON" in bad.text
    created = admin.post("/admin/business", form)
    assert created.status_code == 200 and 'id="signing-secret"' in created.text
    secret = re.search(r'class="secret" readonly value="([^"]+)"', created.text)
    assert secret is not None and secret.group(1).startswith("cba_")
    listing = admin.get("/admin/business").text
    assert "rebook" in listing and secret.group(1) not in listing
    action_id = int(re.search(r'href="/admin/business/(\d+)"', listing).group(1))  # type: ignore[union-attr]
    assert "Changer de vol" in admin.get(f"/admin/business/{action_id}").text
    edited = admin.post("/admin/business", {**form, "action_id": str(action_id), "name_en": "Rebook flight"})
    assert edited.status_code == 303
    assert "Rebook flight" in admin.get("/admin/business").text
    assert admin.post(f"/admin/business/{action_id}/active", {"active": "0"}).status_code == 303
    assert "Deactivated" in admin.get("/admin/business").text
    rotated = admin.post(f"/admin/business/{action_id}/rotate")
    assert rotated.status_code == 200 and 'id="signing-secret"' in rotated.text
    agent = Agent(make_client(settings, runtime), world.agent.email)
    assert agent.get("/admin/business").status_code == 403
