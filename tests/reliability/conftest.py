"""Fixtures of the reliability suite (every test here is marked ``reliability``).

- ``free_port``: a free loopback port number.
- ``serve``: a factory, ``serve(app) -> ServerThread`` (``.base`` is its URL), serving any ASGI app with uvicorn in a
  thread on a free port; stopped at the end of the test.
- ``pg_database``: the URL of the suite's migrated PostgreSQL database (``pg_url``), emptied for the test; skips the
  test when PostgreSQL is unavailable or left out by COMPRIS_TEST_DATABASES. The shared cluster is never restarted
  (a test that needs an outage starts a cluster of its own).
- ``standin``: a ``StandIn`` platform (the sandbox network's send API, counting sends per idempotency key, faults
  injectable through ``standin.faults``) already served; its URL is ``standin.base``.
- ``compris_live``: a factory, ``compris_live(db_url, workers=2) -> Live``: a real Compris web app (uvicorn, in this
  process) on ``db_url`` with a brand whose replies go to the stand-in, ``workers`` in-process worker threads.

The plain helpers (deliveries and their signatures, worker processes' command line) are in ``support.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from compris.config import Settings
from compris.db import Database
from compris.models import Base
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.reliability.support import (
    SECRET_KEY,
    Brand,
    ServerThread,
    StandIn,
    pg_available,
    setup_brand,
)
from tests.reliability.support import (
    free_port as _free_port,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def free_port() -> int:
    return _free_port()


@pytest.fixture
def serve() -> Iterator[Callable[..., ServerThread]]:
    servers: list[ServerThread] = []

    def start(app: Any, **kwargs: Any) -> ServerThread:
        server = ServerThread(app, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> str:
    """The suite's PostgreSQL database (``pg_url`` of tests/conftest.py: created and migrated once per test session,
    dropped at its end), emptied for this test. (A database per test would cost a DROP DATABASE each, which waits
    for a checkpoint: seconds on a busy cluster.)"""
    if "postgresql" not in os.environ.get("COMPRIS_TEST_DATABASES", "postgresql"):
        pytest.skip("COMPRIS_TEST_DATABASES leaves PostgreSQL out (these tests need it)")
    if not pg_available():
        pytest.skip("PostgreSQL is not available at COMPRIS_TEST_PG (127.0.0.1:5432)")
    url: str = request.getfixturevalue("pg_url")
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()
    return url


class ServedStandIn(StandIn):
    base: str = ""


@pytest.fixture
def standin(serve: Callable[..., ServerThread]) -> ServedStandIn:
    platform = ServedStandIn()
    platform.base = serve(platform.app()).base
    return platform


@dataclass
class Live:
    """A Compris web app served over HTTP, its runtime, and a brand (sandbox account) whose replies go to the
    stand-in."""

    base: str
    runtime: Runtime
    brand: Brand
    http: httpx.Client

    @property
    def webhook(self) -> str:
        return f"{self.base}/webhooks/{self.brand.account_id}"


@pytest.fixture
def compris_live(standin: ServedStandIn, tmp_path: Path) -> Iterator[Callable[..., Live]]:
    made: list[tuple[Live, ServerThread]] = []

    def make(db_url: str, *, workers: int = 2) -> Live:
        brand = setup_brand(db_url, standin.base)
        settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET_KEY, workers=workers,
                            sandbox=False, base_url="http://testserver", password_hash_cost="minimal",
                            triage_accurate="off")
        runtime = Runtime.create(settings)
        server = ServerThread(create_app(settings, runtime, workers=workers)).start()
        live = Live(server.base, runtime, brand, httpx.Client(timeout=30))
        made.append((live, server))
        return live

    yield make
    for live, server in made:
        live.http.close()
        if live.runtime.listener is not None:
            # NotifyListener's ``join`` raises TypeError once its thread has ended (see
            # tests/sandbox_network/test_round_trip.py): stop it and forget it before the runtime stops
            live.runtime.listener.stop()
            live.runtime.listener = None
        server.stop()  # the app's lifespan stops the runtime (its workers)
        live.runtime.stop()
