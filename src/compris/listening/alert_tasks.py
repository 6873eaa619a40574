"""Listening's alert jobs, imported by :mod:`compris.listening.tasks`: the spike check every minute
(``listening.spikes``: each workspace with messages in the last hour, one transaction each) and the hourly purge
of old counters (``listening.purge_counts``)."""

from __future__ import annotations

from datetime import timedelta

from compris.kit.clock import now
from compris.listening import alerts, spikes
from compris.worker.queue import JobRun, handler

SPIKES_JOB = "listening.spikes"
PURGE_JOB = "listening.purge_counts"


@handler(SPIKES_JOB, every=timedelta(minutes=1))
def check_spikes(run: JobRun) -> None:
    at = now()
    with run.db.transaction() as session:
        workspaces = spikes.active_workspaces(session, at)
    for workspace_id in workspaces:
        with run.db.transaction() as session:
            alerts.check_spikes(session, run.publisher, workspace_id, at)


@handler(PURGE_JOB, every=timedelta(hours=1))
def purge_counts(run: JobRun) -> None:
    with run.db.transaction() as session:
        spikes.purge(session, now())
