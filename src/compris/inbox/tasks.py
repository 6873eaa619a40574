"""Jobs of the inbox: processing deliveries, sending replies, polling, background triage, waking snoozed cases.

(The handlers still live in ``ingest``, ``outbound``, ``polling`` and ``triage_refine``; importing them here
registers them.)
"""

from __future__ import annotations

from datetime import timedelta

from compris.inbox import ingest, outbound, polling, triage_refine
from compris.worker.queue import JobRun, handler

__all__ = ["ingest", "outbound", "polling", "triage_refine"]


@handler("inbox.wake_snoozed", every=timedelta(minutes=1))
def wake_snoozed(run: JobRun) -> None:
    from compris.inbox.actions import wake_snoozed as wake

    with run.db.transaction() as session:
        wake(session, run.publisher)
