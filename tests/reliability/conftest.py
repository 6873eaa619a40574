"""Fixtures of the reliability suite (every test here is marked ``reliability``).

- ``free_port``: a free loopback port number.
- ``serve``: a factory, ``serve(app) -> ServerThread`` (``.base`` is its URL), serving any ASGI app with uvicorn in a
  thread on a free port; stopped at the end of the test.
- ``pg_template`` (session): a migrated PostgreSQL database to clone; skips the test when PostgreSQL is unavailable.
- ``pg_database``: the URL of a migrated PostgreSQL database of the test's own (cloned, dropped afterwards); the
  shared cluster is never restarted.
- ``standin``: a ``StandIn`` platform (the sandbox network's send API, counting sends per idempotency key, faults
  injectable through ``standin.faults``) already served; its URL is ``standin.base``.
- ``compris_live``: a factory, ``compris_live(db_url, workers=2) -> Live``: a real Compris web app (uvicorn, in this
  process) on ``db_url`` with a brand whose replies go to the stand-in, ``workers`` in-process worker threads.

The plain helpers (deliveries and their signatures, worker processes' command line) are in ``support.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from compris.config import Settings
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.reliability.support import (
    SECRET_KEY,
    Brand,
    ServerThread,
    StandIn,
    create_database,
    database_name,
    drop_database,
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


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not pg_available():
        pytest.skip("PostgreSQL is not available at COMPRIS_TEST_PG (127.0.0.1:5432)")
    url = create_database("compris_reltpl")
    yield database_name(url)
    drop_database(url)


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[str]:
    url = create_database("compris_rel", template=pg_template)
    yield url
    drop_database(url)


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
