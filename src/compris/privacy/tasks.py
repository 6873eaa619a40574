"""Jobs of privacy: the daily retention run (``privacy.retention``); the erasure's file removal
(``privacy.discard_files``, in :mod:`compris.privacy.erasure_tasks`)."""

from __future__ import annotations

from datetime import timedelta

from compris.kit.origin import Origin
from compris.privacy import erasure_tasks  # noqa: F401  (registers privacy.discard_files)
from compris.privacy.actions import retention
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

RETENTION_JOB = retention.JOB


@handler(RETENTION_JOB, every=timedelta(days=1), lane=BACKGROUND_LANE)
def apply_retention(run: JobRun) -> None:
    """Once a day, every workspace's retention policy (in batches, resumable: a run cut short is finished by the
    next); a job with ``{"workspace_id": ...}`` in its payload (an admin's "Run now") applies that workspace's
    only, in the name of ``actor_user_id``."""
    source = Origin(via="job", ref=f"job:{run.job_id}")
    data_dir = run.services.settings.data_dir
    workspace_id = run.payload.get("workspace_id")
    if isinstance(workspace_id, int):
        actor = run.payload.get("actor_user_id")
        retention.apply(run.db, workspace_id, data_dir=data_dir, publisher=run.publisher, source=source,
                        actor_user_id=actor if isinstance(actor, int) else None)
        return
    retention.apply_all(run.db, data_dir=data_dir, publisher=run.publisher, source=source)
