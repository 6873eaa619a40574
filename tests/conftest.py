"""Fixtures shared by the whole suite.

Every test that uses ``db`` runs twice: on SQLite (a fresh migrated file per test) and on PostgreSQL
(a database created for the test session, truncated between tests). Set COMPRIS_TEST_DATABASES=sqlite
to run on SQLite only (e.g. on a machine without PostgreSQL).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from compris import migrate
from compris.accounts import actions as accounts
from compris.channels.actions import create_account
from compris.config import Settings
from compris.connectors.sandbox import sign
from compris.db import Database
from compris.models import Base, ChannelAccount, User, Workspace
from compris.runtime import Runtime
from compris.worker.queue import Services, run_pending

# Test worlds hash passwords at Argon2's least cost (production: 64 MiB and 3 passes, about 0.4-1 s a hash); set
# before any Settings() is built, so that settings made by a test itself hash cheaply too.
os.environ.setdefault("COMPRIS_PASSWORD_HASH_COST", "minimal")

PG_ADMIN_URL = os.environ.get("COMPRIS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "test-secret-key-that-is-long-enough"
BACKENDS = [b.strip() for b in os.environ.get("COMPRIS_TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    import psycopg

    name = f"compris_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    db = Database(url)
    migrate.upgrade(db.engine)
    db.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "compris.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        secret_key=SECRET,
        workers=0,
        sandbox=False,
        base_url="http://testserver",
        password_hash_cost="minimal",
        triage_accurate="off",  # tests opt in (tests/inbox/test_triage_refine.py) with a fake accurate path
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.create(settings)
    yield rt
    rt.stop()


@pytest.fixture
def db(runtime: Runtime) -> Database:
    return runtime.db


@pytest.fixture
def services(runtime: Runtime) -> Services:
    return runtime.services


class World:
    """A workspace with users and a sandbox channel account, plus helpers to feed it."""

    def __init__(self, runtime: Runtime, slug: str) -> None:
        self.runtime = runtime
        with runtime.db.transaction() as session:
            self.workspace = accounts.create_workspace(session, slug=slug, name=slug.title())
            self.admin = accounts.create_user(
                session,
                workspace=self.workspace,
                email=f"admin@{slug}.test",
                name=f"Admin {slug}",
                password="correct horse battery",
                role="admin",
            )
            self.agent = accounts.create_user(
                session,
                workspace=self.workspace,
                email=f"agent@{slug}.test",
                name=f"Agent {slug}",
                password="correct horse battery",
                role="agent",
            )
            self.account = create_account(
                session,
                SECRET,
                workspace_id=self.workspace.id,
                network="sandbox",
                name=f"{slug} on Sandbox",
                external_id=f"brand-{slug}",
                settings={"api_base": "http://sandbox.invalid"},
                secrets={"webhook_secret": f"whsec-{slug}", "api_token": f"tok-{slug}"},
            )
        self.webhook_secret = f"whsec-{slug}"
        self._n = 0

    @property
    def workspace_id(self) -> int:
        return self.workspace.id

    def payload(
        self,
        text: str = "Hello",
        *,
        kind: str = "post",
        author: str = "cust-1",
        thread: str | None = None,
        message_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        self._n += 1
        mid = message_id or f"m-{uuid.uuid4().hex[:10]}"
        data = {
            "id": mid,
            "kind": kind,
            "thread_id": thread or (f"dm-{author}" if kind == "dm" else f"post-{mid}"),
            "author": {"id": author, "handle": f"@{author}", "name": author.title(), "followers": 10},
            "text": text,
            "created_at": datetime.now(UTC).isoformat(),
        }
        data.update(extra)
        return {"event_id": f"evt-{mid}", "type": "message", "data": data}

    def body(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(payload).encode()
        return raw, {"content-type": "application/json", "x-sandbox-signature": sign(self.webhook_secret, raw)}

    def run_jobs(self) -> int:
        return run_pending(self.runtime.services)


@pytest.fixture
def world_factory(runtime: Runtime) -> Callable[[str], World]:
    return lambda slug: World(runtime, slug)


@pytest.fixture
def world(world_factory: Callable[[str], World]) -> World:
    return world_factory("acme")


__all__ = ["SECRET", "ChannelAccount", "User", "Workspace", "World"]
