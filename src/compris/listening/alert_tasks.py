"""Listening's alert jobs, imported by :mod:`compris.listening.tasks`: the spike check every minute
(``listening.spikes``: each workspace with messages in the last hour, one transaction each) and the hourly purge
of old counters (``listening.purge_counts``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from compris.db import Database
from compris.kit.clock import now
from compris.listening import alerts, spikes
from compris.live import Publisher
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

SPIKES_JOB = "listening.spikes"
PURGE_JOB = "listening.purge_counts"


def run_spike_check(db: Database, publisher: Publisher, at: datetime | None = None) -> int:
    """The spike check of every workspace with messages in the last hour, one transaction each (what the job runs
    every minute; the demo loader calls it too). Returns how many alerts it raised."""
    at = at or now()
    with db.transaction() as session:
        workspaces = spikes.active_workspaces(session, at)
    raised = 0
    for workspace_id in workspaces:
        with db.transaction() as session:
            raised += alerts.check_spikes(session, publisher, workspace_id, at) is not None
    return raised


@handler(SPIKES_JOB, every=timedelta(minutes=1))
def check_spikes(run: JobRun) -> None:
    run_spike_check(run.db, run.publisher)


@handler(PURGE_JOB, every=timedelta(hours=1), lane=BACKGROUND_LANE)
def purge_counts(run: JobRun) -> None:
    with run.db.transaction() as session:
        spikes.purge(session, now())
