"""Jobs of analytics: the rollup of the marked cases, and the minute sample of the agents online.

Both are short and bounded: the rollup takes ``BATCH`` cases per transaction and gives way as soon as other jobs
of its lane are due (``JobRun.should_yield``), so customer-facing jobs (inbound messages, sends) never queue behind
it; what is left is taken by the next run (every 10 seconds)."""

from __future__ import annotations

from datetime import timedelta

from compris.analytics import rollups
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

ROLLUP_JOB = "analytics.rollup"
PRESENCE_JOB = "analytics.sample_presence"
#: at most this many batches per run (the next run goes on)
MAX_BATCHES = 20


@handler(ROLLUP_JOB, every=timedelta(seconds=10), lane=BACKGROUND_LANE)
def rollup(run: JobRun) -> None:
    """Recompute the cases marked since the last run, ``rollups.BATCH`` at a time (one transaction each)."""
    for _ in range(MAX_BATCHES):
        with run.db.transaction() as session:
            taken = rollups.process_dirty(session, rollups.BATCH)
        if taken < rollups.BATCH or run.should_yield():
            return


@handler(PRESENCE_JOB, every=timedelta(minutes=1), lane=BACKGROUND_LANE)
def sample_presence(run: JobRun) -> None:
    with run.db.transaction() as session:
        rollups.sample_presence(session)
