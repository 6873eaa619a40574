"""Jobs of routing: drain the queue of unassigned cases as agents' capacity frees up."""

from __future__ import annotations

from datetime import timedelta

from compris.routing.assignment import ASSIGN_JOB, assign_waiting
from compris.worker.queue import JobRun, handler


@handler(ASSIGN_JOB, every=timedelta(minutes=1))
def drain_queue(run: JobRun) -> None:
    workspace_id = run.payload.get("workspace_id")
    with run.db.transaction() as session:
        assign_waiting(session, run.publisher, int(workspace_id) if workspace_id is not None else None)
