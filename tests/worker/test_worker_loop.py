"""The worker loop under a database that goes away: it logs once, backs off, keeps its job, and resumes.

No sleeping: the worker's pause is injected (it records the delays) and the backoff has no jitter."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import exc, func, select, update

from compris.config import Settings
from compris.connectors.base import WebhookRequest
from compris.db import Health, unavailable
from compris.inbox.ingest import PROCESS_RAW_EVENT, receive
from compris.kit.clock import now
from compris.models import Job, JobStatus, Message
from compris.runtime import Runtime
from compris.worker.queue import HANDLERS, Backoff, JobRun, Worker, enqueue, load_tasks
from compris.worker.scheduler import Scheduler
from tests.conftest import SECRET, World
from tests.worker.flaky import FlakyDatabase, outage_error

COUNT = "test.count"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:  # the suite's runtime, on a database that can be cut
    rt = Runtime.create(settings, FlakyDatabase(settings.database_url))
    yield rt
    rt.stop()


@pytest.fixture
def db(runtime: Runtime) -> FlakyDatabase:
    assert isinstance(runtime.db, FlakyDatabase)
    return runtime.db


@pytest.fixture
def runs() -> Iterator[list[JobRun]]:
    """A job kind that records its runs (and, with ``after``, does something once it has run)."""
    seen: list[JobRun] = []
    load_tasks()
    HANDLERS[COUNT] = seen.append
    yield seen
    HANDLERS.pop(COUNT, None)


def _worker(runtime: Runtime, delays: list[float]) -> Worker:
    return Worker(runtime.services, "w", poll=0.01, backoff=Backoff(jitter=lambda: 1.0), pause=delays.append)


def _enqueue(world: World, kind: str = COUNT) -> int:
    with world.runtime.db.transaction() as session:
        job = enqueue(session, world.runtime.publisher, workspace_id=world.workspace_id, kind=kind, payload={})
        session.flush()
        return job.id


def _job(db: FlakyDatabase, job_id: int) -> Job:
    with db.direct() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _outage_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split(":")[0] for r in caplog.records if r.name == "compris.db"]


def test_a_worker_backs_off_through_an_outage_logs_it_once_and_resumes(
    world: World, db: FlakyDatabase, runs: list[JobRun], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    delays: list[float] = []
    worker = _worker(world.runtime, delays)
    # given a database that went away
    db.down = True
    for _ in range(9):
        worker.step()  # never raises
    # then the worker waited a capped exponential delay between tries, and the outage was logged once
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert db.refused == 9
    assert _outage_logs(caplog) == ["database unreachable, retrying"]
    assert not [r for r in caplog.records if r.name == "compris.worker.queue"]
    # when it is back, the next turn runs a job, the end of the outage is logged once and the delays start over
    db.down = False
    job_id = _enqueue(world)
    worker.step()
    assert [r.job_id for r in runs] == [job_id]
    assert _job(db, job_id).status == JobStatus.DONE
    unreachable, back = _outage_logs(caplog)
    assert unreachable == "database unreachable, retrying"
    assert back.startswith("database back after ") and back.endswith(" s (9 failed attempts)")
    assert worker.backoff.failures == 0
    db.down = True
    worker.step()
    assert delays[-1] == 0.5


def test_a_job_whose_outcome_could_not_be_written_is_finished_when_the_database_is_back(
    world: World, db: FlakyDatabase, runs: list[JobRun]
) -> None:
    delays: list[float] = []
    worker = _worker(world.runtime, delays)
    job_id = _enqueue(world)
    # given a job whose handler ran, and then the database went away before its outcome was written
    HANDLERS[COUNT] = lambda run: (runs.append(run), setattr(db, "down", True))
    worker.step()
    assert len(runs) == 1 and delays == [0.5]
    job = _job(db, job_id)
    assert (job.status, job.locked_by) == (JobStatus.RUNNING, worker.worker_id)  # still leased to this worker
    worker.step()
    assert worker.unfinished is not None and delays == [0.5, 1.0]
    # when the database is back, the outcome is written before anything else is claimed: the job ran once
    db.down = False
    other = _enqueue(world)
    worker.step()
    job = _job(db, job_id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.DONE, None, 1)
    assert worker.unfinished is None and len(runs) == 1
    assert _job(db, other).status == JobStatus.QUEUED
    HANDLERS[COUNT] = runs.append
    worker.step()
    assert _job(db, other).status == JobStatus.DONE


def test_an_outcome_written_late_does_not_touch_a_job_another_worker_took_after_the_lease(
    world: World, db: FlakyDatabase, runs: list[JobRun]
) -> None:
    first = _worker(world.runtime, [])
    job_id = _enqueue(world)
    HANDLERS[COUNT] = lambda run: (runs.append(run), setattr(db, "down", True))
    first.step()
    # the outage outlasts the lease: another worker takes the job and is running it
    db.down = False
    with db.direct() as session:
        session.execute(update(Job).where(Job.id == job_id).values(locked_until=now() - timedelta(seconds=1)))
    second = _worker(world.runtime, [])
    taken: list[str] = []
    HANDLERS[COUNT] = lambda run: taken.append(str(_job(db, run.job_id).locked_by))
    second.step()
    assert taken == [second.worker_id]
    # the first worker's late outcome is written only if it still held the lease: here it does not
    with db.direct() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status=JobStatus.RUNNING, locked_by="someone-else", locked_until=now() + timedelta(minutes=1)))
    first.step()
    job = _job(db, job_id)
    assert (job.status, job.locked_by) == (JobStatus.RUNNING, "someone-else")
    assert first.unfinished is None


def test_an_event_left_leased_by_an_outage_is_processed_once_after_its_lease(
    world: World, db: FlakyDatabase
) -> None:
    raw, headers = world.body(world.payload("Where is my parcel?"))
    received = receive(db, world.runtime.publisher, SECRET, world.account.id, WebhookRequest("POST", headers, {}, raw))
    assert received.stored
    # given a worker that processed the event, lost the database before writing the job's outcome, and then stopped
    load_tasks()
    process = HANDLERS[PROCESS_RAW_EVENT]
    HANDLERS[PROCESS_RAW_EVENT] = lambda run: (process(run), setattr(db, "down", True))
    try:
        gone = _worker(world.runtime, [])
        gone.step()
        gone.stop()
    finally:
        HANDLERS[PROCESS_RAW_EVENT] = process
    db.down = False
    with db.direct() as session:
        job = session.scalar(select(Job).where(Job.kind == PROCESS_RAW_EVENT))
        assert job is not None and job.status == JobStatus.RUNNING
        job_id = job.id
        # when its lease expires
        job.locked_until = now() - timedelta(seconds=1)
    # then another worker takes the job again, and the event is still one message
    _worker(world.runtime, []).step()
    with db.direct() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1
    assert _job(db, job_id).status == JobStatus.DONE


def test_a_claim_that_committed_while_its_answer_was_lost_is_given_back_and_run(
    world: World, db: FlakyDatabase, runs: list[JobRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    from compris.worker import queue

    real_claim = queue.claim

    def claim_then_lose_the_answer(*args: object, **kwargs: object) -> None:
        real_claim(*args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(queue, "claim", real_claim)
        raise outage_error(invalidated=True)

    job_id = _enqueue(world)
    monkeypatch.setattr(queue, "claim", claim_then_lose_the_answer)
    worker = _worker(world.runtime, [])
    worker.step()
    job = _job(db, job_id)
    assert (job.status, job.locked_by) == (JobStatus.RUNNING, worker.worker_id) and runs == []
    # the next turn gives the job back (its lease would hold it for a minute) and claims it again at once
    worker.step()
    job = _job(db, job_id)
    assert [r.job_id for r in runs] == [job_id]
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def test_a_handler_that_meets_the_outage_is_retried_soon_without_using_up_an_attempt(
    world: World, db: FlakyDatabase
) -> None:
    load_tasks()

    def fails(run: JobRun) -> None:
        raise outage_error()

    HANDLERS["test.fails"] = fails
    try:
        job_id = _enqueue(world, "test.fails")
        _worker(world.runtime, []).step()
    finally:
        HANDLERS.pop("test.fails", None)
    job = _job(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    assert job.run_at > now() and job.last_error and "connection refused" in job.last_error


def test_an_error_that_is_not_the_database_is_logged_once_while_it_lasts(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    def broken(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug")

    monkeypatch.setattr("compris.worker.queue.claim", broken)
    delays: list[float] = []
    worker = _worker(world.runtime, delays)
    for _ in range(4):
        worker.step()
    assert calls == 4 and delays == [0.5, 1.0, 2.0, 4.0]
    logged = [r for r in caplog.records if r.name == "compris.worker.queue"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "RuntimeError: a bug" in logged[0].getMessage()


def test_a_connection_found_dead_is_retried_at_once_then_with_backoff(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(*args: object, **kwargs: object) -> None:
        raise outage_error(invalidated=True)

    monkeypatch.setattr("compris.worker.queue.claim", dead)
    delays: list[float] = []
    worker = _worker(world.runtime, delays)
    worker.step()
    worker.step()
    assert delays == [0.0, 1.0]


def test_a_worker_thread_and_the_scheduler_stay_alive_through_an_outage(world: World, db: FlakyDatabase,
                                                                        runs: list[JobRun]) -> None:
    db.down = True
    worker = Worker(world.runtime.services, "alive", poll=0.01, backoff=Backoff(first=0.01, cap=0.02))
    scheduler = Scheduler(world.runtime.services, interval=0.01)
    worker.start()
    scheduler.start()
    try:
        _wait_for(lambda: db.refused >= 10)
        assert worker.is_alive() and scheduler.is_alive()
        db.down = False
        job_id = _enqueue(world)
        _wait_for(lambda: any(r.job_id == job_id for r in runs))
    finally:
        worker.stop()
        scheduler.stop()
        worker.join(5)
        scheduler.join(5)
    assert not worker.is_alive()


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        threading.Event().wait(0.01)


def test_the_database_health_logs_an_outage_once_each_way(caplog: pytest.LogCaptureFixture) -> None:
    clock = [100.0]
    health = Health(clock=lambda: clock[0])
    health.succeeded()
    for _ in range(3):
        health.failed(outage_error())
        health.succeeded()  # a transaction that committed while the database was going down: not the end
        clock[0] += 0.5
    clock[0] = 112.0
    assert health.down_for == 12.0
    health.succeeded()
    health.succeeded()
    assert [r.getMessage() for r in caplog.records] == [
        "database unreachable, retrying: ConnectionRefused: connection refused",
        "database back after 12.0 s (3 failed attempts)",
    ]
    assert health.down_for == 0.0


class _PgError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("x")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("error", "expected"), [
    (outage_error(), True),
    (exc.OperationalError("q", {}, _PgError("08006")), True),  # connection failure
    (exc.OperationalError("q", {}, _PgError("57P01")), True),  # admin shutdown
    (exc.OperationalError("q", {}, _PgError("53300")), True),  # too many connections
    (exc.OperationalError("q", {}, _PgError("40001")), False),  # serialization failure: not an outage
    (exc.OperationalError("q", {}, _PgError("57014")), False),  # statement timeout
    (exc.InterfaceError("q", {}, Exception("the connection is closed")), True),
    (exc.IntegrityError("q", {}, _PgError("23505")), False),
    (exc.DataError("q", {}, _PgError("22003"), connection_invalidated=False), False),
    (exc.DBAPIError("q", {}, Exception("server closed"), connection_invalidated=True), True),
    (exc.TimeoutError("QueuePool limit reached"), True),
    (RuntimeError("a bug"), False),
])
def test_which_errors_mean_the_database_is_away(error: BaseException, expected: bool) -> None:
    assert unavailable(error) is expected


def test_sqlite_errors_that_mean_busy_or_unreadable() -> None:
    import sqlite3

    assert unavailable(exc.OperationalError("q", {}, sqlite3.OperationalError("database is locked")))
    assert unavailable(exc.OperationalError("q", {}, sqlite3.OperationalError("unable to open database file")))
    assert not unavailable(exc.OperationalError("q", {}, sqlite3.OperationalError("no such table: jobs")))
