"""Live events for connected agents, published only after the transaction commits.

On SQLite (one process) events go through an in-process hub. On PostgreSQL they are sent with
``pg_notify`` inside the transaction — PostgreSQL delivers a notification only when its transaction
commits — and every process (the publishing one included) relays what it hears to its own hub, so
agents connected to any web process see every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from compris.db import on_commit
from compris.models import Case

log = logging.getLogger(__name__)

LIVE_CHANNEL = "compris_live"
JOBS_CHANNEL = "compris_jobs"


@dataclass(eq=False)
class Subscription:
    workspace_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def offer(self, event: dict[str, Any]) -> None:
        def put() -> None:
            if self.queue.full():  # a stalled client: drop the oldest rather than grow without bound
                self.queue.get_nowait()
            self.queue.put_nowait(event)

        with contextlib.suppress(RuntimeError):  # a closed loop: the client is gone
            self.loop.call_soon_threadsafe(put)


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[int, set[Subscription]] = {}
        self.job_wakeup = threading.Event()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    def subscribe(self, workspace_id: int) -> Subscription:
        sub = Subscription(workspace_id, asyncio.get_running_loop())
        with self._lock:
            self._subs.setdefault(workspace_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.get(sub.workspace_id, set()).discard(sub)

    def add_listener(self, fn: Callable[[dict[str, Any]], None]) -> None:
        """Synchronous listeners (tests, alerts) receive every event of every workspace."""
        self._listeners.append(fn)

    def deliver(self, event: dict[str, Any]) -> None:
        workspace_id = int(event["workspace_id"])
        with self._lock:
            subs = list(self._subs.get(workspace_id, ()))
        for sub in subs:
            sub.offer(event)
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:  # a listener must never break publication
                log.exception("live event listener failed")

    def subscriber_count(self, workspace_id: int) -> int:
        with self._lock:
            return len(self._subs.get(workspace_id, ()))


class Publisher:
    """Bound to one database: decides between in-process delivery and LISTEN/NOTIFY."""

    def __init__(self, hub: Hub, use_notify: bool) -> None:
        self.hub = hub
        self.use_notify = use_notify

    @classmethod
    def outside_server(cls, session: Session) -> Publisher:
        """For a write made outside a running server (the CLI, the demo loader, a test world): on PostgreSQL its live
        events still reach every server process through NOTIFY; on SQLite there is no other process to tell."""
        return cls(Hub(), use_notify=session.get_bind().dialect.name == "postgresql")

    def publish(self, session: Session, workspace_id: int, kind: str, **data: Any) -> None:
        event = {"workspace_id": workspace_id, "kind": kind, **data}
        if self.use_notify:
            payload = json.dumps(event, separators=(",", ":"), default=str)
            session.execute(text("SELECT pg_notify(:c, :p)"), {"c": LIVE_CHANNEL, "p": payload})
        else:
            on_commit(session, lambda: self.hub.deliver(event))

    def wake_workers(self, session: Session) -> None:
        if self.use_notify:
            session.execute(text("SELECT pg_notify(:c, '')"), {"c": JOBS_CHANNEL})
        on_commit(session, self.hub.job_wakeup.set)


def publish_case(session: Session, publisher: Publisher, case: Case, change: str, **extra: Any) -> None:
    """Tell the workspace's connected agents, after commit, that ``case`` changed (``change``: what happened)."""
    publisher.publish(session, case.workspace_id, "case", case_id=case.id, number=case.number, change=change,
                      status=case.status, assignee_id=case.assignee_id, **extra)


class NotifyListener(threading.Thread):
    """Relays PostgreSQL notifications to the local hub (one per process)."""

    def __init__(self, dsn: str, hub: Hub) -> None:
        super().__init__(name="compris-listen", daemon=True)
        self.dsn = dsn
        self.hub = hub
        self._stopping = threading.Event()
        self.ready = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        import psycopg

        lost = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {LIVE_CHANNEL}")
                    conn.execute(f"LISTEN {JOBS_CHANNEL}")
                    self.ready.set()
                    if lost:
                        log.warning("LISTEN connection back")
                        lost = False
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=0.5, stop_after=100):
                            if note.channel == JOBS_CHANNEL:
                                self.hub.job_wakeup.set()
                            else:
                                try:
                                    self.hub.deliver(json.loads(note.payload))
                                except (ValueError, KeyError):
                                    log.warning("ignored a malformed live notification")
            except Exception:
                if not lost:  # once per outage, not once per second while the database is away
                    log.exception("LISTEN connection lost; reconnecting")
                    lost = True
                self._stopping.wait(1.0)
