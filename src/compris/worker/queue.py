"""A durable job queue in the application's own database.

Jobs are rows inserted in the same transaction as the data they work on (so a job exists if and
only if its data does). Workers claim them with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite
every write transaction is ``BEGIN IMMEDIATE``, which serialises claims. A claimed job carries a
lease: if its worker dies, the lease expires and another worker takes the job again, so every
handler must be safe to run twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from compris.config import Settings
from compris.db import Database, unavailable
from compris.kit import logs, metrics, origin
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import Job, JobStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


class RetryLater(Exception):
    """Raised by a handler: run this job again after ``delay`` (not counted as a crash)."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


@dataclass(frozen=True)
class Services:
    """What a job handler may use."""

    db: Database
    publisher: Publisher
    http: httpx.Client
    settings: Settings

    @property
    def secret_key(self) -> str:
        return self.settings.secret_key


def _never() -> bool:
    return False


@dataclass(frozen=True)
class JobRun:
    services: Services
    job_id: int
    workspace_id: int
    payload: dict[str, Any]
    attempt: int
    #: True when the job should end a wait early (its worker is stopping, or other jobs of its lane are due): a
    #: handler that waits for something (an IMAP IDLE) asks it every second or so
    should_yield: Callable[[], bool] = _never

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def publisher(self) -> Publisher:
        return self.services.publisher


Handler = Callable[[JobRun], None]
HANDLERS: dict[str, Handler] = {}

DEFAULT_LANE = "default"
POLL_LANE = "poll"  # jobs that wait on a remote server (a mailbox's IMAP IDLE): COMPRIS_POLL_WORKERS threads
#: long computations no customer waits for (clustering messages with a sentence encoder): COMPRIS_BACKGROUND_WORKERS
BACKGROUND_LANE = "background"
#: how long a job may stay due before a waiting job of its lane gives way (free workers claim it sooner)
YIELD_GRACE = timedelta(seconds=2)
#: Job kinds that run on a lane of their own (kind -> lane): jobs that may wait long (polling a mailbox with IMAP
#: IDLE) get their own worker threads, so that webhooks and sends never queue behind them
LANES: dict[str, str] = {}


def handler(kind: str, *, every: timedelta | None = None, lane: str = DEFAULT_LANE) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of jobs of ``kind``; with ``every``, the scheduler also
    enqueues one such job per period (:mod:`compris.worker.scheduler`); with ``lane``, only the workers of that
    lane run it (see :meth:`compris.runtime.Runtime.start_workers`)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if every is not None:
            PERIODIC[kind] = Periodic(kind, every)
        if lane != DEFAULT_LANE:
            LANES[kind] = lane
        else:
            LANES.pop(kind, None)
        return fn

    return register


@dataclass(frozen=True)
class Lane:
    """Which job kinds a worker claims: ``kinds`` only, or every kind but ``excluded``."""

    name: str = DEFAULT_LANE
    kinds: tuple[str, ...] | None = None
    excluded: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, *, separate: frozenset[str] = frozenset()) -> Lane:
        """The lane ``name``: its kinds; for the default lane, every kind but those of the lanes in ``separate``
        (the lanes that have workers of their own: the others' jobs run on the default lane)."""
        if name != DEFAULT_LANE:
            return cls(name, kinds=tuple(sorted(k for k, lane in LANES.items() if lane == name)))
        return cls(name, excluded=tuple(sorted(k for k, lane in LANES.items() if lane in separate)))

    def restrict(self, query: Select[Any]) -> Select[Any]:
        """``query`` on jobs, limited to this lane's kinds."""
        if self.kinds is not None:
            query = query.where(Job.kind.in_(self.kinds))
        if self.excluded:
            query = query.where(Job.kind.not_in(self.excluded))
        return query


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta


#: Periodic jobs, registered with ``@handler(kind, every=...)`` in each capability's ``tasks.py``.
PERIODIC: dict[str, Periodic] = {}

TASKS_GROUP = "compris.tasks"
_tasks_loaded = False


def load_tasks() -> None:
    """Import every module named in the ``compris.tasks`` entry-point group: each capability's ``tasks.py``
    (built-in and third-party alike) registers its job handlers and periodic schedule there."""
    global _tasks_loaded
    if _tasks_loaded:
        return
    from importlib import import_module
    from importlib.metadata import entry_points

    for module in sorted({ep.value for ep in entry_points(group=TASKS_GROUP)}):
        import_module(module)
    _tasks_loaded = True


def enqueue(
    session: Session,
    publisher: Publisher,
    *,
    workspace_id: int,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    job = Job(
        workspace_id=workspace_id,
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        run_at=run_at or now(),
        max_attempts=max_attempts,
    )
    session.add(job)
    publisher.wake_workers(session)
    return job


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff with full jitter on the upper half."""
    delay = min(cap, base * (2.0 ** max(0, attempt - 1)))
    return float(delay / 2 + random.uniform(0, delay / 2))


def claim(
    db: Database, worker_id: str, kinds: tuple[str, ...] | None = None, excluded: tuple[str, ...] = ()
) -> Job | None:
    t = now()
    with db.transaction() as session:
        query = (
            select(Job.id)
            .where(
                or_(
                    (Job.status == JobStatus.QUEUED) & (Job.run_at <= t),
                    (Job.status == JobStatus.RUNNING) & (Job.locked_until < t),
                )
            )
            .order_by(Job.run_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job_id = session.scalar(Lane(kinds=kinds, excluded=excluded).restrict(query))
        if job_id is None:
            return None
        job = session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.RUNNING
        job.locked_by = worker_id
        job.locked_until = t + LEASE
        job.attempts += 1
        session.flush()
        session.expunge(job)
        return job


def jobs_due(db: Database, lane: Lane, *, other_than: int | None = None,
             for_at_least: timedelta = timedelta(0)) -> bool:
    """Whether a queued job of ``lane`` (other than job ``other_than``) has been due for ``for_at_least``: one
    indexed look-up."""
    with db.transaction() as session:
        query = lane.restrict(
            select(Job.id).where(Job.status == JobStatus.QUEUED, Job.run_at <= now() - for_at_least).limit(1))
        if other_than is not None:
            query = query.where(Job.id != other_than)
        return session.scalar(query) is not None


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as :func:`_finish` writes it."""

    status: str
    error: str | None = None
    run_at: datetime | None = None
    retry: bool = False  # a planned retry: does not use up an attempt


#: A job whose handler found the database unreachable runs again this much later (without using up an attempt).
OUTAGE_RETRY = timedelta(seconds=5)


def run_job(services: Services, job: Job, should_yield: Callable[[], bool] = _never) -> None:
    """Run ``job``'s handler, then record how it ended. Raises only when that record could not be written (the
    database went away): the job then stays leased, and is taken again when its lease expires."""
    _finish(services.db, job, attempt(services, job, should_yield))


def _outcome_label(outcome: Outcome) -> str:
    if outcome.status == JobStatus.DONE:
        return "done"
    return "failed" if outcome.status == JobStatus.FAILED else "retry"


def attempt(services: Services, job: Job, should_yield: Callable[[], bool] = _never) -> Outcome:
    """Run ``job``'s handler once; every exception it raises becomes the outcome to record."""
    load_tasks()  # once per process: every capability's handlers
    lane = LANES.get(job.kind, DEFAULT_LANE)
    start = time.perf_counter()
    with logs.for_job(job.id, job.kind):  # every log line of the run names the job
        outcome = _attempt(services, job, should_yield)
    metrics.JOB_DURATION.labels(kind=job.kind, lane=lane).observe(time.perf_counter() - start)
    metrics.JOBS_FINISHED.labels(kind=job.kind, lane=lane, outcome=_outcome_label(outcome)).inc()
    return outcome


def _attempt(services: Services, job: Job, should_yield: Callable[[], bool]) -> Outcome:
    fn = HANDLERS.get(job.kind)
    run = JobRun(services, job.id, job.workspace_id, dict(job.payload), job.attempts, should_yield)
    try:
        if fn is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        with origin.acting(origin.Origin(via="job", ref=f"job:{job.id}")):  # the audit log's "from where"
            fn(run)
    except RetryLater as exc:
        return Outcome(JobStatus.QUEUED, _error_text(exc.reason), now() + timedelta(seconds=exc.delay), retry=True)
    except Exception as exc:
        reason = _error_text(f"{type(exc).__name__}: {exc}")
        if unavailable(exc):  # the database, not the job (logged once per outage by the database's health)
            return Outcome(JobStatus.QUEUED, reason, now() + OUTAGE_RETRY, retry=True)
        log.exception("job %s (%s) failed", job.id, job.kind)
        if job.attempts >= job.max_attempts:
            return Outcome(JobStatus.FAILED, reason)
        return Outcome(JobStatus.QUEUED, reason, now() + timedelta(seconds=backoff(job.attempts)))
    return Outcome(JobStatus.DONE)


def _error_text(text: str) -> str:
    """An error as a text column takes it: no NUL, no lone surrogate, bounded."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:2000]


def _finish(db: Database, job: Job, outcome: Outcome) -> None:
    values: dict[str, Any] = {
        "status": outcome.status, "last_error": outcome.error, "locked_by": None, "locked_until": None,
    }
    if outcome.run_at is not None:
        values["run_at"] = outcome.run_at
    if outcome.status in (JobStatus.DONE, JobStatus.FAILED):
        values["finished_at"] = now()
    if outcome.retry:
        values["attempts"] = Job.attempts - 1
    with db.transaction() as session:
        # Only the lease holder may finish the job (a reclaimed job belongs to its new worker); writing the same
        # outcome twice (a commit whose answer was lost, then retried) changes nothing the second time.
        session.execute(update(Job).where(Job.id == job.id, Job.locked_by == job.locked_by).values(**values))


def run_pending(services: Services, limit: int = 1000, worker_id: str | None = None) -> int:
    """Run due jobs until none is left (tests, CLI). Returns how many ran."""
    worker_id = worker_id or f"inline-{uuid.uuid4().hex[:8]}"
    count = 0
    while count < limit:
        job = claim(services.db, worker_id)
        if job is None:
            break
        run_job(services, job)
        count += 1
    return count


def release_lost_claims(db: Database, worker_id: str) -> int:
    """Give back the jobs leased to ``worker_id`` while it runs none: claims that committed although the worker saw
    them fail (the connection dropped before the answer). They were never run, so their attempt is not counted;
    without this they would wait for their lease to expire."""
    with db.transaction() as session:
        result = session.execute(
            update(Job)
            .where(Job.locked_by == worker_id, Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.QUEUED, locked_by=None, locked_until=None, attempts=Job.attempts - 1)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class Backoff:
    """Capped exponential delays between retries of a failing loop (0.5 s, 1 s, 2 s … 30 s), each drawn in the upper
    half of its value so that the workers of several processes do not retry in step; :meth:`reset` after a
    success."""

    def __init__(self, first: float = 0.5, cap: float = 30.0, jitter: Callable[[], float] = random.random) -> None:
        self.first = first
        self.cap = cap
        self.jitter = jitter
        self.failures = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return float(delay * (0.5 + 0.5 * self.jitter()))

    def reset(self) -> None:
        self.failures = 0


class Worker(threading.Thread):
    """Claims and runs the jobs of its lane until stopped. No error ends it: a database that went away (or any
    other failure while claiming or finishing) is logged once, and the worker waits a growing delay
    (:class:`Backoff`) and tries again; a job whose outcome could not be written is finished when the database
    answers again (the finish is guarded by the lease, so a job taken meanwhile by another worker is not touched),
    or, if this worker stops first, taken again when its lease expires."""

    def __init__(
        self,
        services: Services,
        name: str,
        poll: float = 1.0,
        lane: Lane | None = None,
        *,
        backoff: Backoff | None = None,
        pause: Callable[[float], object] | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.services = services
        self.db = services.db
        self.publisher = services.publisher
        self.poll = poll
        self.lane = lane or Lane()
        self.worker_id = f"{name}-{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self.backoff = backoff or Backoff()
        #: how the worker waits after a failure (tests inject one that does not sleep)
        self.pause: Callable[[float], object] = pause or self._stopping.wait
        #: a job run whose outcome is not written yet
        self.unfinished: tuple[Job, Outcome] | None = None
        self._claim_lost = False
        self._last_error: str | None = None

    def should_yield(self, job_id: int) -> bool:
        """For the job running: stop waiting when this worker stops, or when another job of its lane has been due
        for a while (no free worker of the lane took it)."""
        if self._stopping.is_set():
            return True
        try:
            return jobs_due(self.db, self.lane, other_than=job_id, for_at_least=YIELD_GRACE)
        except Exception as exc:
            if not unavailable(exc):  # an outage is logged once by the database's health
                log.exception("checking for due jobs failed")
            return False

    def stop(self) -> None:
        self._stopping.set()
        self.publisher.hub.job_wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.step()

    def step(self) -> None:
        """One turn of the loop; never raises (a failure is logged and waited out)."""
        try:
            self._turn()
        except Exception as exc:
            self.pause(self._failed(exc))
        else:
            if self.backoff.failures:
                self.backoff.reset()
                self._last_error = None

    def _turn(self) -> None:
        if self.unfinished is not None:  # first write the outcome of the job run before the failure
            self._finish_unfinished()
            return
        if self._claim_lost:  # a claim may have committed while its answer was lost: that job is not running
            release_lost_claims(self.db, self.worker_id)
            self._claim_lost = False
        try:
            job = claim(self.db, self.worker_id, self.lane.kinds, self.lane.excluded)
        except Exception as exc:
            self._claim_lost = unavailable(exc)
            raise
        if job is None:
            wakeup = self.publisher.hub.job_wakeup
            wakeup.wait(self.poll)
            wakeup.clear()
            return
        self.unfinished = (job, attempt(self.services, job, partial(self.should_yield, job.id)))
        self._finish_unfinished()

    def _finish_unfinished(self) -> None:
        assert self.unfinished is not None
        job, outcome = self.unfinished
        try:
            _finish(self.db, job, outcome)
        except Exception as exc:
            if not unavailable(exc):  # it would fail the same way again: leave the job to its lease
                self.unfinished = None
            raise
        self.unfinished = None

    def _failed(self, exc: Exception) -> float:
        """Log ``exc`` (an outage once per process, another error once until it changes) and return how long to
        wait before the next turn."""
        first = self.backoff.failures == 0
        delay = self.backoff.next()
        if unavailable(exc):
            if self.db.health.down_since is None:  # not seen inside a transaction (the SQLite lock's wait)
                self.db.health.failed(exc)
            if first and getattr(exc, "connection_invalidated", False):
                return 0.0  # a pooled connection found dead: the pool starts afresh, and probably works at once
            return delay
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_error:
            self._last_error = text
            log.error("worker %s: %s; retrying", self.name, text, exc_info=exc)
        return delay
