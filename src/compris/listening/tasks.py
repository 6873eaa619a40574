"""Jobs of listening and their schedule."""

from __future__ import annotations

from datetime import timedelta

from compris.listening import (
    alert_tasks,  # noqa: F401  (alerts: the spike check and the counters' purge)
    bulk,
    incidents,
)
from compris.worker.queue import JobRun, handler

# --- bulk operations (li-bulk): the job that works a bulk run's pending items -----------------------------------
process_bulk_run = handler(bulk.BULK_JOB)(bulk.process)


# --- incidents (li-incidents): the clusters' new members join the open incidents that follow those clusters ----
FOLLOW_CLUSTERS = "listening.incident_clusters"


@handler(FOLLOW_CLUSTERS, every=timedelta(minutes=1))
def follow_incident_clusters(run: JobRun) -> None:
    """Clusters are formed in the background: every minute, their new members' cases join the open incidents whose
    rules name those clusters (``linked_by`` cluster)."""
    with run.db.transaction() as session:
        incidents.follow_clusters(session, run.publisher)
