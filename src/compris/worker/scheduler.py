"""Periodic jobs, as each capability's ``tasks.py`` registers them (``@handler(kind, every=...)``). Every process may
run a scheduler: a job per period is enqueued once thanks to its
dedupe key (``periodic:<kind>:<slot>``), whichever process gets there first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from compris.db import unavailable
from compris.kit.clock import now
from compris.models import Workspace
from compris.worker.queue import PERIODIC, Services, enqueue, load_tasks

log = logging.getLogger(__name__)


def enqueue_due(services: Services) -> int:
    """Enqueue each periodic job for the current slot (idempotent across processes)."""
    t = now()
    created = 0
    with services.db.transaction() as session:
        workspace_id = session.scalar(select(Workspace.id).order_by(Workspace.id).limit(1))
    if workspace_id is None:
        return 0
    load_tasks()
    for p in sorted(PERIODIC.values(), key=lambda p: p.kind):
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
            except Exception as exc:
                if not unavailable(exc):  # an outage is logged once by the database's health
                    log.exception("scheduling periodic jobs failed")
            self._stopping.wait(self.interval)
