"""Jobs of the audit log: the sealing of new entries into each workspace's hash chain, every 10 seconds."""

from __future__ import annotations

from datetime import timedelta

from compris.auditlog import actions
from compris.worker.queue import BACKGROUND_LANE, JobRun, handler

SEAL_JOB = "auditlog.seal"


@handler(SEAL_JOB, every=timedelta(seconds=10), lane=BACKGROUND_LANE)
def seal_entries(run: JobRun) -> None:
    """Seal every workspace's new entries (one transaction per workspace, under its lock)."""
    with run.db.transaction() as session:
        workspaces = actions.workspaces_to_seal(session)
    for workspace_id in workspaces:
        with run.db.transaction() as session:
            actions.seal(session, workspace_id)
