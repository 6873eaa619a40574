"""A database crash under a running Compris, on a PostgreSQL cluster the test makes on its own port: the webhook
answers 503 with Retry-After while it is down, workers back off and resume, and every acknowledged event is processed
exactly once (issue 21, point 1)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from compris import migrate
from compris.config import Settings
from compris.db import Database, unavailable
from compris.models import Direction, Job, JobStatus, Message, RawEvent, RawEventStatus
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker import queue
from tests.conftest import SECRET, World
from tests.reliability.pg_cluster import Cluster, unavailable_reason

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    made = Cluster()
    try:
        made.start()
        db = Database(made.url)
        migrate.upgrade(db.engine)
        db.dispose()
        yield made
    finally:
        made.remove()


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


#: ``compris worker`` with the short lease of this test (see below)
WORKER = ("import sys; from datetime import timedelta; from compris.worker import queue; "
          "queue.LEASE = timedelta(seconds=5); from compris.cli import app; app(sys.argv[1:])")


def _worker_process(url: str, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, COMPRIS_DATABASE_URL=url, COMPRIS_SECRET_KEY=SECRET, COMPRIS_DATA_DIR=str(tmp_path),
               COMPRIS_TRIAGE_ACCURATE="off", COMPRIS_PASSWORD_HASH_COST="minimal")
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", WORKER, "worker", "--threads", "1"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _select_one(db: Database) -> None:
    with db.transaction() as session:
        session.execute(text("SELECT 1"))


def test_the_pool_recovers_after_a_restart_by_itself(cluster: Cluster) -> None:
    """Without pre-ping: a pooled connection that sat idle long enough, or through a failure seen by another part of
    the process, is checked and replaced before use; one found dead in use fails that one operation and invalidates
    the pool, so that the next one works."""
    idle = Database(cluster.url, ping_idle_after=0.2)
    through_failure = Database(cluster.url, ping_idle_after=3600)
    plain = Database(cluster.url, ping_idle_after=None)
    try:
        for db in (idle, through_failure, plain):
            db.health.settle = 0.0  # the first success after the restart ends the outage
            _select_one(db)  # one pooled connection each
        cluster.crash()
        through_failure.health.failed(RuntimeError("seen by another thread"))
        cluster.start()
        time.sleep(0.3)
        _select_one(idle)  # the idle connection was pinged, found dead and replaced: no error at all
        _select_one(through_failure)  # the same: the database failed while it sat in the pool
        with pytest.raises(Exception) as failed:
            _select_one(plain)
        assert unavailable(failed.value) and getattr(failed.value, "connection_invalidated", False)
        _select_one(plain)  # the pool started afresh
        assert all(db.health.down_since is None for db in (idle, through_failure, plain))
    finally:
        for db in (idle, through_failure, plain):
            db.dispose()


def test_workers_and_webhooks_ride_out_a_database_crash(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # a job claimed just as the database fell (its claim committed, the answer lost) waits for its lease: keep the
    # wait short here
    monkeypatch.setattr(queue, "LEASE", timedelta(seconds=5))
    settings = Settings(data_dir=tmp_path, database_url=cluster.url, secret_key=SECRET, workers=2, sandbox=False,
                        base_url="http://testserver", password_hash_cost="minimal", triage_accurate="off")
    runtime = Runtime.create(settings)
    with runtime.db.transaction() as session:  # a clean slate (the module's cluster is shared by its tests)
        session.execute(text("TRUNCATE jobs, raw_events, messages, cases, workspaces RESTART IDENTITY CASCADE"))
    world = World(runtime, "outage")
    acknowledged: set[str] = set()
    # one web process with in-process workers (compris serve) and a separate worker process (compris worker)
    log = tmp_path / "worker.log"
    process = _worker_process(cluster.url, tmp_path, log)
    try:
        assert _wait(lambda: "worker thread(s) running" in log.read_text(), timeout=30), log.read_text()
        _ride_out(cluster, runtime, world, settings, acknowledged)
        _wait(lambda: "database back after" in log.read_text(), timeout=10)
        assert process.poll() is None, log.read_text()  # the worker process is still there...
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    # ...and it met the outage, said so once, and worked again after it
    lines = log.read_text().splitlines()
    assert len([line for line in lines if "database unreachable, retrying" in line]) == 1, "\n".join(lines)
    assert len([line for line in lines if "database back after" in line]) == 1, "\n".join(lines)
    # the outage was logged once each way in this process too, not per request or per loop
    outage = [r.getMessage() for r in caplog.records if r.name == "compris.db" and r.levelno >= logging.WARNING]
    assert [m.split(":")[0].split(" after")[0] for m in outage] == ["database unreachable, retrying", "database back"]
    listen = [r.getMessage() for r in caplog.records if r.name == "compris.live" and r.levelno >= logging.WARNING]
    assert listen == ["LISTEN connection lost; reconnecting", "LISTEN connection back"]


def _ride_out(cluster: Cluster, runtime: Runtime, world: World, settings: Settings, acknowledged: set[str]) -> None:
    with TestClient(create_app(settings, runtime, workers=2)) as client:

        def deliver(payload: dict[str, Any]) -> httpx.Response:
            raw, headers = world.body(payload)
            response = client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers)
            if response.status_code == 200:
                acknowledged.add(payload["data"]["id"])
            return response

        def processed() -> int:
            with runtime.db.transaction() as session:
                return int(session.scalar(select(func.count()).select_from(RawEvent).where(
                    RawEvent.status == RawEventStatus.PROCESSED)) or 0)

        threads = [*runtime.workers, runtime.scheduler]
        # given a running Compris that acknowledged a stream of events
        for i in range(20):
            assert deliver(world.payload(f"before {i}", author=f"c{i % 5}")).status_code == 200
        # when the database crashes (workers are still busy with those events)
        cluster.crash()
        refused = [world.payload(f"during {i}", author=f"c{i % 5}") for i in range(5)]
        for payload in refused:
            # then each delivery gets a 503 with Retry-After: nothing acknowledged, the platform will redeliver
            response = deliver(payload)
            assert response.status_code == 503, response.text
            assert 5 <= int(response.headers["retry-after"]) <= 60
        time.sleep(1.5)  # the workers meet the outage and back off
        assert all(t is not None and t.is_alive() for t in threads)
        # when the database is back
        cluster.start()
        # then the platform's redeliveries are taken, new events too, and nothing needs restarting
        for payload in refused:
            assert _wait(lambda p=payload: deliver(p).status_code == 200, timeout=10), "the webhook did not recover"
        for i in range(5):
            assert deliver(world.payload(f"after {i}", author=f"c{i % 5}")).status_code == 200
        assert len(acknowledged) == 30

        assert _wait(lambda: processed() == 30, timeout=20), f"processed {processed()} of 30"
        assert all(t is not None and t.is_alive() for t in threads)

        def unfinished() -> int:
            with runtime.db.transaction() as session:
                return int(session.scalar(select(func.count()).select_from(Job).where(
                    Job.kind == "inbox.process_raw_event", Job.status != JobStatus.DONE)) or 0)

        # a job records that it is done in its own transaction, just after its work commits: every job ends done
        # (none left leased or failed), possibly a moment after the last event is processed
        assert _wait(lambda: unfinished() == 0, timeout=20), f"{unfinished()} job(s) not done"
        with runtime.db.transaction() as session:
            counts = dict(session.execute(
                select(Message.platform_message_id, func.count())
                .where(Message.direction == Direction.INBOUND).group_by(Message.platform_message_id)).all())
    # every acknowledged event is one message: none lost, none twice
    assert counts == dict.fromkeys(acknowledged, 1)
