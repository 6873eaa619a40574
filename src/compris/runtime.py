"""What a running Compris holds: settings, database, live-event hub, workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

from compris.config import Settings
from compris.db import Database
from compris.kit import netguard, passwords
from compris.live import Hub, NotifyListener, Publisher
from compris.worker.queue import Services, Worker
from compris.worker.scheduler import Scheduler

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    hub: Hub
    publisher: Publisher
    http: httpx.Client
    listener: NotifyListener | None = None
    workers: list[Worker] = field(default_factory=list)
    scheduler: Scheduler | None = None

    @classmethod
    def create(cls, settings: Settings, db: Database | None = None) -> Runtime:
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = db or Database(settings.database_url)
        from compris.triage import step as triage_step

        triage_step.configure(settings.data_dir)
        passwords.configure(settings.password_hash_cost)
        from compris import bus

        bus.load_listeners()  # now, not at the first event: the audit log notes settings' values from the first write
        hub = Hub()
        publisher = Publisher(hub, use_notify=db.dialect == "postgresql")
        # addresses Compris is given (customers' attachments) must be on the Internet; loopback where local
        # endpoints are allowed (tests' stand-ins, the demo's sandbox network)
        hooks = netguard.event_hooks(lambda: bool(settings.allow_local_http_endpoints or settings.demo))
        http = httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False, event_hooks=hooks)
        return cls(settings=settings, db=db, hub=hub, publisher=publisher, http=http)

    @property
    def services(self) -> Services:
        return Services(self.db, self.publisher, self.http, self.settings)

    def start_listener(self) -> None:
        if self.publisher.use_notify and self.listener is None:
            dsn = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.listener = NotifyListener(dsn, self.hub)
            self.listener.start()
            self.listener.ready.wait(5)

    def start_workers(self, count: int) -> None:
        """``count`` workers for every job, plus (when ``count`` > 0) ``COMPRIS_POLL_WORKERS`` of their own for the
        jobs that wait on a mailbox (the poll lane) and ``COMPRIS_BACKGROUND_WORKERS`` for long computations (the
        background lane), so that those never hold up webhooks or sends."""
        from compris.worker.queue import BACKGROUND_LANE, DEFAULT_LANE, POLL_LANE, Lane, load_tasks

        load_tasks()  # registers the job handlers
        lanes = ({POLL_LANE: self.settings.poll_workers, BACKGROUND_LANE: self.settings.background_workers}
                 if count else {})
        separate = frozenset(name for name, threads in lanes.items() if threads > 0)
        for i in range(count):
            worker = Worker(self.services, name=f"worker-{i}", poll=1.0, lane=Lane.of(DEFAULT_LANE, separate=separate))
            worker.start()
            self.workers.append(worker)
        for name, threads in lanes.items():
            for i in range(threads):
                worker = Worker(self.services, name=f"{name}-{i}", poll=1.0, lane=Lane.of(name))
                worker.start()
                self.workers.append(worker)
        if count and self.scheduler is None:
            self.scheduler = Scheduler(self.services)
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join(timeout=10)
        self.workers.clear()
        if self.listener is not None:
            self.listener.stop()
            self.listener.join(timeout=5)
            self.listener = None
        self.http.close()
        self.db.dispose()
