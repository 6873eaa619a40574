"""Jobs: the incremental SLA pass, the queue drain, and breach alerts by outgoing webhook."""

from __future__ import annotations

import logging

import httpx
from sqlalchemy import select

from compris.kit.clock import now
from compris.models import SlaSettings
from compris.worker.queue import JobRun, handler

log = logging.getLogger(__name__)

PASS_JOB = "sla.pass"  # noqa: S105 (a job kind, not a password)
ASSIGN_JOB = "routing.assign_waiting"
BATCH = 2000


@handler(PASS_JOB)
def sla_pass(run: JobRun) -> None:
    """Every workspace's due cases, in batches of ``BATCH`` (one transaction each)."""
    from compris.sla.service import run_pass

    at = now()
    while True:
        with run.db.transaction() as session:
            result = run_pass(session, run.publisher, at, limit=BATCH)
        if result.checked < BATCH:
            break


@handler(ASSIGN_JOB)
def assign_waiting(run: JobRun) -> None:
    from compris.routing.service import assign_waiting as drain

    workspace_id = run.payload.get("workspace_id")
    with run.db.transaction() as session:
        drain(session, run.publisher, int(workspace_id) if workspace_id is not None else None)


@handler("sla.webhook")
def send_webhook(run: JobRun) -> None:
    """POST the alert as JSON to the workspace's URL; a non-2xx answer raises, and the queue retries with
    backoff (8 attempts)."""
    with run.db.transaction() as session:
        settings = session.scalar(select(SlaSettings).where(SlaSettings.workspace_id == run.workspace_id))
        url = settings.webhook_url if settings else ""
    if not url:
        return
    response = run.services.http.post(url, json=run.payload, timeout=10.0,
                                      headers={"User-Agent": "Compris-SLA/1", "X-Compris-Event": run.payload.get(
                                          "event", "sla")})
    if response.status_code >= 300:
        raise httpx.HTTPStatusError(f"webhook answered {response.status_code}", request=response.request,
                                    response=response)
