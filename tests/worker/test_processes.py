"""Separate worker processes on PostgreSQL: claims, LISTEN/NOTIFY wake-ups and live events across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from compris.config import Settings
from compris.connectors.base import WebhookRequest
from compris.inbox.ingest import PROCESS_RAW_EVENT, receive
from compris.live import Hub, NotifyListener
from compris.models import Base, Job, JobStatus, Message
from compris.runtime import Runtime
from tests.conftest import BACKENDS, SECRET, World

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL is not among the test databases")


@pytest.fixture
def pg_runtime(pg_url: str, tmp_path: Path) -> Iterator[Runtime]:
    from compris.db import Database

    db = Database(pg_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    _end_worker_sessions(db)  # a killed worker's session can outlive it, waiting on a lock the TRUNCATE takes
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    settings = Settings(data_dir=tmp_path, database_url=pg_url, secret_key=SECRET, workers=0, triage_accurate="off")
    rt = Runtime.create(settings, db)
    yield rt
    rt.stop()


#: the worker processes' database sessions are named, so that what a killed one left can be ended
WORKER_APPLICATION = "compris-test-worker"


def _end_worker_sessions(db: Any) -> None:
    """End the database sessions of this database that worker processes left (a SIGKILLed process's backend
    runs on until it next talks to its client: one waiting on a lock deadlocked the next test's TRUNCATE)."""
    with db.engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND application_name = :name"),
                     {"name": WORKER_APPLICATION})


def _worker_process(url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    named = make_url(url).update_query_dict({"application_name": WORKER_APPLICATION})
    env = dict(os.environ, COMPRIS_DATABASE_URL=named.render_as_string(hide_password=False),
               COMPRIS_SECRET_KEY=SECRET, COMPRIS_DATA_DIR=str(tmp_path), COMPRIS_TRIAGE_ACCURATE="off")
    return subprocess.Popen(
        [sys.executable, "-m", "compris", "worker", "--threads", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate: Any, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _messages(rt: Runtime) -> int:
    with rt.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Message)) or 0)


def test_worker_processes_process_each_event_once_and_notify_other_processes(
    pg_runtime: Runtime, pg_url: str, tmp_path: Path
) -> None:
    world = World(pg_runtime, "multi")
    # an independent listener stands for a web process: it must hear the workers' live events
    hub = Hub()
    heard: list[dict[str, Any]] = []
    hub.add_listener(heard.append)
    dsn = pg_runtime.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    listener = NotifyListener(dsn, hub)
    listener.start()
    assert listener.ready.wait(10)
    workers = [_worker_process(pg_url, tmp_path) for _ in range(2)]
    try:
        for i in range(20):
            raw, headers = world.body(world.payload(f"message {i}", author=f"c{i % 7}"))
            receive(
                pg_runtime.db, pg_runtime.publisher, SECRET, world.account.id, WebhookRequest("POST", headers, {}, raw)
            )
        assert _wait(lambda: _messages(pg_runtime) == 20), "workers did not process every event"
        assert _wait(lambda: len([e for e in heard if e["kind"] == "case"]) >= 20)
        with pg_runtime.db.transaction() as s:
            pending = select(func.count()).select_from(Job).where(
                Job.kind == PROCESS_RAW_EVENT, Job.status != JobStatus.DONE
            )
            assert s.scalar(pending) == 0  # (periodic jobs of the worker processes may be running meanwhile)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)
        listener.stop()
    assert _messages(pg_runtime) == 20


def test_a_killed_worker_process_loses_nothing(pg_runtime: Runtime, pg_url: str, tmp_path: Path) -> None:
    world = World(pg_runtime, "killed")
    raw, headers = world.body(world.payload("survive me"))
    # store an event whose job a worker claimed and then died with (SIGKILL before processing)
    from compris.worker.queue import claim

    receive(pg_runtime.db, pg_runtime.publisher, SECRET, world.account.id, WebhookRequest("POST", headers, {}, raw))
    job = claim(pg_runtime.db, "process-that-will-die")
    assert job is not None
    with pg_runtime.db.transaction() as s:  # its lease runs out
        s.execute(text("UPDATE jobs SET locked_until = now() - interval '1 minute' WHERE id = :id"), {"id": job.id})
    worker = _worker_process(pg_url, tmp_path)
    try:
        assert _wait(lambda: _messages(pg_runtime) == 1)
        time.sleep(1.0)
        assert _messages(pg_runtime) == 1
    finally:
        worker.send_signal(9)
        worker.wait(10)
        _end_worker_sessions(pg_runtime.db)
