"""Jobs of routing: drain the queue of unassigned cases as agents' capacity frees up."""

from __future__ import annotations

from datetime import timedelta

from compris.worker.queue import JobRun, handler

ASSIGN_JOB = "routing.assign_waiting"


@handler(ASSIGN_JOB, every=timedelta(minutes=1))
def assign_waiting(run: JobRun) -> None:
    from compris.routing.service import assign_waiting as drain

    workspace_id = run.payload.get("workspace_id")
    with run.db.transaction() as session:
        drain(session, run.publisher, int(workspace_id) if workspace_id is not None else None)
