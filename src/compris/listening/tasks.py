"""tasks of listening (filled in by its issue)."""

from __future__ import annotations

from compris.listening import clusters
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler


# --- clusters (li-clusters) --------------------------------------------------------------------------------------
@handler(clusters.CLUSTER_JOB, every=clusters.RUN_EVERY, lane=BACKGROUND_LANE)
def cluster_messages(run: JobRun) -> None:
    """Place the messages marked since the last run in clusters (e5 outside any transaction), close idle
    clusters, raise cluster alerts."""
    clusters.run_clustering(run.db, run.publisher)
