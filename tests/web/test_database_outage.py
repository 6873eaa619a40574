"""While the database cannot be reached, webhooks, pages and the API answer 503 with Retry-After (logged once), and
recover by themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import exc

from compris.config import Settings
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.worker.flaky import FlakyDatabase


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.create(settings, FlakyDatabase(settings.database_url))
    yield rt
    rt.stop()


@pytest.fixture
def db(runtime: Runtime) -> FlakyDatabase:
    assert isinstance(runtime.db, FlakyDatabase)
    return runtime.db


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime, workers=0)) as c:
        yield c


def test_a_webhook_answers_503_with_retry_after_during_an_outage_then_recovers(
    client: TestClient, world: World, db: FlakyDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    raw, headers = world.body(world.payload("Hello?"))
    db.down = True
    answers = [client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers) for _ in range(3)]
    assert {a.status_code for a in answers} == {503}
    assert all(5 <= int(a.headers["retry-after"]) <= 60 for a in answers)
    assert answers[0].json() == {"error": "The database cannot be reached right now; try again in a few seconds."}
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert logged == ["database unreachable, retrying: ConnectionRefused: connection refused"]  # once, not per request
    db.down = False
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200
    assert world.run_jobs() == 1
    assert [r.getMessage().split(" after")[0] for r in caplog.records if r.levelno >= logging.WARNING][-1] == (
        "database back")


def test_a_page_shows_a_translated_503_page_and_the_api_a_json_503(
    client: TestClient, world: World, db: FlakyDatabase
) -> None:
    db.down = True
    page = client.get("/inbox", headers={"accept": "text/html", "accept-language": "fr"})
    assert page.status_code == 503 and page.headers["retry-after"]
    assert "La base de données est injoignable" in page.text
    api = client.get("/api/v1/cases", headers={"authorization": "Bearer cpr_nothing"})
    assert api.status_code == 503 and api.headers["retry-after"]
    assert api.json()["error"].startswith("The database cannot be reached")


def test_a_database_error_that_is_not_an_outage_stays_a_500(settings: Settings, runtime: Runtime) -> None:
    app = create_app(settings, runtime, workers=0)

    @app.get("/boom")
    def boom() -> None:
        raise exc.OperationalError("q", {}, type("SerializationFailure", (Exception,), {"sqlstate": "40001"})())

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/boom").status_code == 500
