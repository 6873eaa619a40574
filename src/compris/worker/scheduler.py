"""Periodic jobs. Every process may run a scheduler: a job per period is enqueued once thanks to its
dedupe key (``periodic:<kind>:<slot>``), whichever process gets there first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from compris.kit.clock import now
from compris.models import Job, JobStatus, LoginAttempt, RawEvent, RawEventStatus, Workspace
from compris.worker.queue import JobRun, Services, enqueue, handler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta


PERIODIC: list[Periodic] = [
    Periodic("inbox.wake_snoozed", timedelta(minutes=1)),
    Periodic("maintenance.purge", timedelta(hours=1)),
    Periodic("sla.pass", timedelta(seconds=30)),  # compris.sla.tasks: only cases whose check time has come
    Periodic("routing.assign_waiting", timedelta(minutes=1)),  # queued cases, as capacity frees up
    Periodic("inbox.poll_accounts", timedelta(minutes=1)),  # polled networks (e-mail): inbox/polling.py
    Periodic("channels.watch_downtime", timedelta(minutes=1)),  # replay missed windows: channels/recovery.py
    Periodic("uploads.purge_orphans", timedelta(hours=1)),  # abandoned drafts' files: uploads/tasks.py
]


def enqueue_due(services: Services) -> int:
    """Enqueue each periodic job for the current slot (idempotent across processes)."""
    t = now()
    created = 0
    with services.db.transaction() as session:
        workspace_id = session.scalar(select(Workspace.id).order_by(Workspace.id).limit(1))
    if workspace_id is None:
        return 0
    for p in PERIODIC:
        slot = int(t.timestamp() // p.every.total_seconds())
        try:
            with services.db.transaction() as session:
                enqueue(
                    session,
                    services.publisher,
                    workspace_id=workspace_id,
                    kind=p.kind,
                    payload={},
                    dedupe_key=f"periodic:{p.kind}:{slot}",
                    max_attempts=3,
                )
            created += 1
        except IntegrityError:
            pass  # another process enqueued this slot already
    return created


class Scheduler(threading.Thread):
    def __init__(
        self, services: Services, interval: float = 30.0, on_error: Callable[[BaseException], None] | None = None
    ) -> None:
        super().__init__(name="compris-scheduler", daemon=True)
        self.services = services
        self.interval = interval
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                enqueue_due(self.services)
            except Exception:
                log.exception("scheduling periodic jobs failed")
            self._stopping.wait(self.interval)


@handler("inbox.wake_snoozed")
def wake_snoozed(run: JobRun) -> None:
    from compris.inbox.actions import wake_snoozed as wake

    with run.db.transaction() as session:
        wake(session, run.publisher)


@handler("maintenance.purge")
def purge(run: JobRun) -> None:
    """Drop processed raw deliveries past retention, old login failures and finished jobs."""
    retention = timedelta(days=run.services.settings.raw_event_retention_days)
    t = now()
    with run.db.transaction() as session:
        session.execute(
            delete(RawEvent).where(RawEvent.status == RawEventStatus.PROCESSED, RawEvent.created_at < t - retention)
        )
        session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < t - timedelta(days=1)))
        session.execute(delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < t - timedelta(days=7)))
