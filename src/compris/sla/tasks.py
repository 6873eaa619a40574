"""Jobs of the SLA: the incremental pass and breach alerts by outgoing webhook."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from sqlalchemy import select

from compris.kit import metrics
from compris.kit.clock import now
from compris.models import SlaSettings
from compris.sla.clocks import WEBHOOK_JOB, run_pass
from compris.worker.queue import JobRun, handler

log = logging.getLogger(__name__)

PASS_JOB = "sla.pass"  # noqa: S105 (a job kind, not a password)
BATCH = 2000


@handler(PASS_JOB, every=timedelta(seconds=30))  # only cases whose check time has come
def sla_pass(run: JobRun) -> None:
    """Every workspace's due cases, in batches of ``BATCH`` (one transaction each)."""
    at = now()
    with metrics.SLA_PASS_DURATION.time():
        while True:
            with run.db.transaction() as session:
                result = run_pass(session, run.publisher, at, limit=BATCH)
            metrics.SLA_PASS_CASES.inc(result.checked)
            if result.checked < BATCH:
                break


@handler(WEBHOOK_JOB)
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
