"""Separate lanes (issue 22, item 2; issue 20 "accurate path cost"): customer-facing work (inbound processing,
sends, SLA alerts) is never behind background work (triage re-scoring, rollups, purges, sealing) — the background
lane has workers of its own, so a burst there leaves the default lane's workers free."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from compris.models import Job, JobStatus
from compris.runtime import Runtime
from compris.worker import queue
from compris.worker.queue import BACKGROUND_LANE, DEFAULT_LANE, JobRun, enqueue, handler, load_tasks
from tests.conftest import World

BACKGROUND_WORK = ("triage.refine", "analytics.rollup", "analytics.sample_presence", "maintenance.purge",
                   "uploads.purge_orphans", "auditlog.seal", "privacy.retention", "listening.cluster",
                   "notifications.purge", "listening.purge_counts", "subscriptions.purge")
CUSTOMER_FACING = ("inbox.process_raw_event", "inbox.send_reply", "sla.pass", "sla.webhook",
                   "routing.assign_waiting")


def test_background_work_has_a_lane_of_its_own() -> None:
    load_tasks()
    lanes = {kind: queue.LANES.get(kind, DEFAULT_LANE) for kind in queue.HANDLERS}
    for kind in BACKGROUND_WORK:
        assert lanes.get(kind) == BACKGROUND_LANE, kind
    for kind in CUSTOMER_FACING:
        if kind in lanes:
            assert lanes[kind] == DEFAULT_LANE, kind


def test_a_burst_of_background_jobs_does_not_hold_up_a_customer_facing_job(runtime: Runtime, world: World) -> None:
    release = threading.Event()
    started = threading.Event()
    answered = threading.Event()

    @handler("test.lanes.rescore", lane=BACKGROUND_LANE)
    def rescore(run: JobRun) -> None:  # stands for a slow re-scoring: holds its worker until released
        started.set()
        release.wait(60)

    @handler("test.lanes.reply")
    def reply(run: JobRun) -> None:
        answered.set()

    try:
        with runtime.db.transaction() as session:
            for i in range(50):
                enqueue(session, runtime.publisher, workspace_id=world.workspace_id, kind="test.lanes.rescore",
                        payload={"i": i})
        runtime.start_workers(1)  # one worker for everything else, COMPRIS_BACKGROUND_WORKERS (1) for the lane
        assert started.wait(30), "the background worker took the burst"
        with runtime.db.transaction() as session:
            enqueue(session, runtime.publisher, workspace_id=world.workspace_id, kind="test.lanes.reply",
                    payload={})
        # the reply runs while the whole burst is still waiting on the background lane
        assert answered.wait(30), "the reply waited behind the background burst"
        with runtime.db.transaction() as session:
            waiting = session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == "test.lanes.rescore", Job.status == JobStatus.QUEUED))
        assert waiting is not None and waiting >= 49
    finally:
        release.set()
        runtime.stop()
        for kind in ("test.lanes.rescore", "test.lanes.reply"):
            queue.HANDLERS.pop(kind, None)
            queue.LANES.pop(kind, None)
