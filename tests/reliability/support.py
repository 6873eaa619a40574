"""Plain helpers of the reliability suite, shared by its fixtures (``conftest.py``) and by ``bench/chaos.py``.

- ``free_port()``, ``bound_socket()``: a free loopback port (a socket bound to it, for uvicorn).
- ``ServerThread``: any ASGI app (Compris, a stand-in) served by uvicorn in a thread on a free port.
- ``pg_available()``, ``create_database()``, ``drop_database()``: a PostgreSQL database of its own, migrated (cloned
  from a migrated template when one is given), on the shared cluster (never restarted).
- ``Brand`` and ``setup_brand()``: a workspace, an agent and a sandbox channel account whose replies go to a stand-in.
- ``delivery()`` and ``signed()``: a sandbox network delivery and its signature headers.
- ``StandIn``: a stand-in platform with the sandbox network's send API that counts sends per idempotency key and
  injects faults (500 before or after storing the post, slow answers, answers after the send timeout).
- ``worker_command()``: the command line of a ``compris worker`` process (with a short job lease for tests).

Everything here talks only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compris.connectors.sandbox import sign

PG_ADMIN_URL = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET_KEY = "reliability-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """``app`` served by uvicorn in a daemon thread on a free loopback port; ``stop()`` ends it."""

    def __init__(self, app: Any, *, lifespan: Literal["auto", "on", "off"] = "on",
                 limit_concurrency: int | None = None) -> None:
        self.sock = bound_socket()
        self.port = int(self.sock.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, limit_concurrency=limit_concurrency,
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 15.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


# --- PostgreSQL -------------------------------------------------------------------------------------------------

def _admin() -> str:
    return PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_admin(), connect_timeout=2):
            return True
    except Exception:
        return False


def create_database(prefix: str = "compris_rel", template: str | None = None) -> str:
    """A new database on the shared cluster, migrated (or a copy of ``template``, a migrated database's name);
    returns its URL."""
    import psycopg

    from compris import migrate
    from compris.db import Database

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_admin(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    url = _admin().rsplit("/", 1)[0] + "/" + name
    if template is None:
        db = Database(url)
        migrate.upgrade(db.engine)
        db.dispose()
    return url


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_admin(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


# --- a brand and its deliveries ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Brand:
    workspace_id: int
    agent_id: int
    account_id: int
    external_id: str
    webhook_secret: str
    api_token: str


def setup_brand(db_url: str, api_base: str, *, secret_key: str = SECRET_KEY, slug: str = "rel") -> Brand:
    """A workspace with an agent and a sandbox channel account whose replies go to ``api_base``."""
    from compris.accounts import actions as accounts
    from compris.channels.actions import create_account
    from compris.db import Database

    db = Database(db_url)
    try:
        with db.transaction() as session:
            workspace = accounts.create_workspace(session, slug=slug, name=slug.title())
            agent = accounts.create_user(session, workspace=workspace, email=f"agent@{slug}.test", name="Agent",
                                         password="correct horse battery", role="agent")
            account = create_account(
                session, secret_key, workspace_id=workspace.id, network="sandbox", name=f"{slug} on Sandbox",
                external_id=f"brand-{slug}", settings={"api_base": api_base},
                secrets={"webhook_secret": f"whsec-{slug}-0123456789", "api_token": f"tok-{slug}-0123456789"},
            )
            return Brand(workspace.id, agent.id, account.id, f"brand-{slug}", f"whsec-{slug}-0123456789",
                         f"tok-{slug}-0123456789")
    finally:
        db.dispose()


def delivery(n: int, *, run: str = "r", kind: str = "post", customers: int = 50) -> bytes:
    """The ``n``-th delivery of a run: one customer's message with its own event id (``evt-<run>-<n>``) and
    message id (``m-<run>-<n>``)."""
    author = f"c{n % customers}"
    mid = f"m-{run}-{n}"
    data = {
        "id": mid, "kind": kind, "thread_id": f"dm-{author}" if kind == "dm" else f"post-{mid}",
        "author": {"id": author, "handle": f"@{author}", "name": f"Customer {n % customers}", "followers": 10},
        "text": f"Where is my parcel {n}?", "created_at": datetime.now(UTC).isoformat(),
    }
    return json.dumps({"event_id": f"evt-{run}-{n}", "type": "message", "data": data}).encode()


def signed(secret: str, raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "x-sandbox-signature": sign(secret, raw)}


# --- the stand-in platform --------------------------------------------------------------------------------------

@dataclass
class Faults:
    """Shares (0..1) of sends that meet each fault, drawn in this order for every request."""

    fail_before: float = 0.0  #: 500 before anything is stored (certainly not sent)
    fail_after: float = 0.0  #: the post is stored, then 500 (an ambiguous send)
    late: float = 0.0  #: the post is stored, the answer comes after ``late_seconds`` (beyond the send timeout)
    slow: float = 0.0  #: a normal answer after ``slow_seconds``
    late_seconds: float = 16.0
    slow_seconds: float = 1.0


@dataclass
class StandIn:
    """The sandbox network's send API (``POST /api/threads/{thread}/replies``, ``POST /api/dm/{user}/messages``,
    ``GET /api/me``) counting every request and every post per ``Idempotency-Key``.

    ``honour_keys``: a repeated key returns the first post, as the sandbox network (and Meta, Telegram...) do;
    ``False``: every accepted request creates a post, as on a network without de-duplication (X, WhatsApp).
    """

    honour_keys: bool = True
    faults: Faults = field(default_factory=Faults)
    seed: int = 21
    attempts: Counter[str] = field(default_factory=Counter)  #: requests per key
    posts: Counter[str] = field(default_factory=Counter)  #: posts created per key
    injected: Counter[str] = field(default_factory=Counter)  #: faults injected, by kind
    first_id: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)

    # what the tests read
    @property
    def sent(self) -> int:
        """Messages on the platform (distinct keys with at least one post)."""
        with self._lock:
            return sum(1 for n in self.posts.values() if n)

    @property
    def duplicated(self) -> int:
        """Keys the platform holds more than one post for (the customer saw the reply twice)."""
        with self._lock:
            return sum(1 for n in self.posts.values() if n > 1)

    @property
    def resent_after_success(self) -> int:
        """Keys requested again after a post was stored: harmless where keys are honoured, duplicates elsewhere."""
        with self._lock:
            return sum(1 for k, n in self.attempts.items() if n > 1 and self.posts[k])

    def counts(self, keys: set[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Posts and requests per key, for ``keys``."""
        with self._lock:
            return {k: self.posts[k] for k in keys}, {k: self.attempts[k] for k in keys}

    def reset(self) -> None:
        with self._lock:
            self.attempts.clear()
            self.posts.clear()
            self.injected.clear()
            self.first_id.clear()
            self.texts.clear()

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/threads/{thread}/replies", self._send, methods=["POST"]),
            Route("/api/dm/{user}/messages", self._send, methods=["POST"]),
            Route("/api/me", self._me, methods=["GET"]),
        ])

    async def _me(self, request: Request) -> Response:
        return JSONResponse({"name": "stand-in"})

    def _draw(self) -> str | None:
        f = self.faults
        with self._lock:
            x = self._random.random()
        for name, share in (("fail_before", f.fail_before), ("fail_after", f.fail_after), ("late", f.late),
                            ("slow", f.slow)):
            if x < share:
                return name
            x -= share
        return None

    async def _send(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key", "")
        body = await request.json()
        thread = request.path_params.get("thread") or f"dm-{request.path_params.get('user')}"
        fault = self._draw()
        with self._lock:
            self.attempts[key] += 1
            if fault:
                self.injected[fault] += 1
            if fault == "fail_before":
                return JSONResponse({"error": "injected failure"}, status_code=500)
            if self.honour_keys and self.posts[key]:
                post_id = self.first_id[key]
            else:
                post_id = f"p-{uuid.uuid4().hex[:12]}"
                self.posts[key] += 1
                self.first_id.setdefault(key, post_id)
                self.texts.setdefault(key, str(body.get("text", "")))
        if fault == "fail_after":
            return JSONResponse({"error": "injected failure after the post"}, status_code=500)
        if fault == "late":
            await asyncio.sleep(self.faults.late_seconds)
        elif fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        return JSONResponse({"id": post_id, "thread_id": thread})


# --- worker processes -------------------------------------------------------------------------------------------

#: ``python -c`` bootstrap of a worker process whose job lease is COMPRIS_TEST_LEASE seconds (a killed worker's jobs
#: are taken again after their lease; 60 s in production, a few seconds in tests)
_BOOTSTRAP = (
    "import os, sys\n"
    "from datetime import timedelta\n"
    "import compris.worker.queue as queue\n"
    "queue.LEASE = timedelta(seconds=float(os.environ.get('COMPRIS_TEST_LEASE', '60')))\n"
    "from compris.cli import main\n"
    "sys.argv = ['compris', *sys.argv[1:]]\n"
    "main()\n"
)


def worker_command(python: str, threads: int = 2) -> list[str]:
    return [python, "-c", _BOOTSTRAP, "worker", "--threads", str(threads)]


def worker_env(db_url: str, data_dir: str, *, lease_seconds: float, secret_key: str = SECRET_KEY) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "COMPRIS_DATABASE_URL": db_url, "COMPRIS_SECRET_KEY": secret_key, "COMPRIS_DATA_DIR": data_dir,
        "COMPRIS_TEST_LEASE": str(lease_seconds), "COMPRIS_PASSWORD_HASH_COST": "minimal",
        "COMPRIS_TRIAGE_ACCURATE": "off", "COMPRIS_SANDBOX": "0", "PYTHONUNBUFFERED": "1",
    })
    return env
