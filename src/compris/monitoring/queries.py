"""What the database says at scrape time (the same from every process): job queue depth and age per lane,
inbound events waiting to be processed, replies waiting or needing a person. A few grouped queries on indexed
columns (``jobs (status, run_at)``, ``raw_events (status)``, ``outbox``), each bounded by what is waiting — not by
history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compris.db import Database
from compris.kit.clock import now
from compris.models import ChannelAccount, Job, Outbox, RawEvent
from compris.models.pipeline import OUTBOX_OPEN_STATES, JobStatus, RawEventStatus
from compris.worker.queue import DEFAULT_LANE, LANES, load_tasks


@dataclass(frozen=True)
class LaneFigures:
    due: int = 0  # queued and due now: the backlog
    scheduled: int = 0  # queued for later (retries, periodic jobs)
    running: int = 0
    oldest_due_seconds: float = 0.0  # how long the oldest due job has waited (0 when none)


@dataclass(frozen=True)
class Snapshot:
    lanes: dict[str, LaneFigures]
    failed_jobs: int
    raw_pending: int
    raw_oldest_seconds: float
    outbox: dict[tuple[str, str], int]  # (network, state) -> replies


def _age(at: datetime, since: datetime | None) -> float:
    return max(0.0, (at - since).total_seconds()) if since is not None else 0.0


def snapshot(session: Session) -> Snapshot:
    load_tasks()  # which kinds run on which lane
    at = now()
    lanes: dict[str, dict[str, float]] = {}

    def lane(kind: str) -> dict[str, float]:
        return lanes.setdefault(LANES.get(kind, DEFAULT_LANE),
                                {"due": 0, "scheduled": 0, "running": 0, "oldest": 0.0})

    due = Job.run_at <= at
    for kind, count, oldest in session.execute(
            select(Job.kind, func.count(), func.min(Job.run_at))
            .where(Job.status == JobStatus.QUEUED, due).group_by(Job.kind)):
        figures = lane(kind)
        figures["due"] += count
        figures["oldest"] = max(figures["oldest"], _age(at, oldest))
    for kind, count in session.execute(
            select(Job.kind, func.count()).where(Job.status == JobStatus.QUEUED, ~due).group_by(Job.kind)):
        lane(kind)["scheduled"] += count
    for kind, count in session.execute(
            select(Job.kind, func.count()).where(Job.status == JobStatus.RUNNING).group_by(Job.kind)):
        lane(kind)["running"] += count
    failed = session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED)) or 0
    raw_pending, raw_oldest = session.execute(
        select(func.count(), func.min(RawEvent.created_at)).where(RawEvent.status == RawEventStatus.PENDING)).one()
    outbox = {(network, state): count for network, state, count in session.execute(
        select(ChannelAccount.network, Outbox.state, func.count())
        .join(ChannelAccount, ChannelAccount.id == Outbox.channel_account_id)
        .where(Outbox.state.in_(OUTBOX_OPEN_STATES))
        .group_by(ChannelAccount.network, Outbox.state))}
    return Snapshot(
        lanes={name: LaneFigures(int(f["due"]), int(f["scheduled"]), int(f["running"]), float(f["oldest"]))
               for name, f in lanes.items()},
        failed_jobs=int(failed), raw_pending=int(raw_pending or 0), raw_oldest_seconds=_age(at, raw_oldest),
        outbox=outbox)


class DatabaseCollector(Collector):
    """The figures of :func:`snapshot` as Prometheus gauges, read at each scrape (a failed read is skipped: the
    scrape still answers with the process's own metrics, and ``compris_database_up`` says 0)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("compris_database_up", "1 when the database answered this scrape's queries.")
        try:
            with self.db.transaction() as session:
                shot = snapshot(session)
        except Exception:  # an outage must not turn the scrape into a 500: it is what it reports
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("compris_job_queue_depth", "Jobs queued and due now (the backlog), per lane.",
                                  labels=["lane"])
        scheduled = GaugeMetricFamily("compris_job_queue_scheduled", "Jobs queued for later (retries, periodic "
                                      "jobs), per lane.", labels=["lane"])
        running = GaugeMetricFamily("compris_job_queue_running", "Jobs being run, per lane.", labels=["lane"])
        age = GaugeMetricFamily("compris_job_queue_oldest_age_seconds", "How long the oldest due job of the lane "
                                "has waited (0 when none is due).", labels=["lane"])
        for name in sorted({DEFAULT_LANE, *LANES.values(), *shot.lanes}):
            figures = shot.lanes.get(name, LaneFigures())
            depth.add_metric([name], figures.due)
            scheduled.add_metric([name], figures.scheduled)
            running.add_metric([name], figures.running)
            age.add_metric([name], figures.oldest_due_seconds)
        yield from (depth, scheduled, running, age)
        yield GaugeMetricFamily("compris_jobs_failed", "Jobs that failed for good (kept for inspection).",
                                value=shot.failed_jobs)
        yield GaugeMetricFamily("compris_inbound_events_pending", "Verified webhook deliveries not processed yet.",
                                value=shot.raw_pending)
        yield GaugeMetricFamily("compris_inbound_events_oldest_age_seconds", "How long the oldest unprocessed "
                                "delivery has waited (the ingest lag; 0 when none).", value=shot.raw_oldest_seconds)
        outbox = GaugeMetricFamily("compris_outbox_replies", "Replies not finished, by network and state (queued, "
                                   "sending, retrying, uncertain or manual: a person must check or post it).",
                                   labels=["network", "state"])
        for (network, state), count in sorted(shot.outbox.items()):
            outbox.add_metric([network, state], count)
        yield outbox
