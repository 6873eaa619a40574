"""Job handlers and their schedule (``@handler``), declared in the ``compris.tasks`` entry point.

``subscriptions.deliver``: one attempt of one delivery, prepared and recorded in two short transactions with the
POST between them (no transaction is open while a receiver answers), then retried later per
:mod:`compris.subscriptions.policy` (``RetryLater``: the same job, the same body).

``subscriptions.purge`` (hourly): settled deliveries (delivered or failed) older than ``policy.RETENTION_DAYS``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from sqlalchemy import delete

from compris.kit.clock import now
from compris.kit.signing import SIGNATURE_HEADER, request_signature
from compris.models import WebhookDelivery, WebhookDeliveryState
from compris.subscriptions import actions, policy
from compris.worker.queue import BACKGROUND_LANE, JobRun, RetryLater, handler

log = logging.getLogger(__name__)

PURGE_JOB = "subscriptions.purge"
USER_AGENT = "Compris-Webhooks/1"
ANSWER_SHOWN = 200  # characters of a receiver's error answer kept with the delivery


def headers_for(attempt: actions.Attempt, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: request_signature(attempt.secret, attempt.body, timestamp),
        "Compris-Event-Id": attempt.event_id,
        "Compris-Event-Type": attempt.event_type,
        "Compris-Delivery-Attempt": str(attempt.attempt),
    }


def post(http: httpx.Client, attempt: actions.Attempt) -> tuple[int | None, str | None]:
    """POST once: the status (None: no answer) and, when it is not a success, what went wrong."""
    try:
        with http.stream("POST", attempt.url, content=attempt.body,
                         headers=headers_for(attempt, int(now().timestamp())),
                         timeout=policy.TIMEOUT_SECONDS, follow_redirects=False) as response:
            status = response.status_code
            if policy.is_success(status):
                return status, None
            start = b""
            for chunk in response.iter_bytes():
                start += chunk
                if len(start) >= ANSWER_SHOWN:
                    break
            text = start[:ANSWER_SHOWN].decode("utf-8", errors="replace").strip()
            return status, f"HTTP {status}" + (f": {text}" if text else "")
    except httpx.TimeoutException:
        return None, f"no answer within {policy.TIMEOUT_SECONDS:g} s"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"


@handler(actions.DELIVER_JOB)
def deliver(run: JobRun) -> None:
    delivery_id = int(run.payload["delivery_id"])
    with run.db.transaction() as session:
        attempt = actions.start_attempt(session, workspace_id=run.workspace_id, delivery_id=delivery_id,
                                        secret_key=run.services.secret_key)
    if attempt is None:
        return
    status, error = post(run.services.http, attempt)
    with run.db.transaction() as session:
        delay = actions.finish_attempt(session, run.publisher, workspace_id=run.workspace_id,
                                       delivery_id=delivery_id, status=status, error=error)
    if delay is not None:
        log.info("webhook delivery %s failed (%s); next attempt in %.0f s", delivery_id, error, delay)
        raise RetryLater(delay, error or "delivery failed")


@handler(PURGE_JOB, every=timedelta(hours=1), lane=BACKGROUND_LANE)
def purge_deliveries(run: JobRun) -> None:
    """Forget settled deliveries past their retention (pending ones are kept, however old)."""
    with run.db.transaction() as session:
        session.execute(delete(WebhookDelivery).where(
            WebhookDelivery.state.in_((WebhookDeliveryState.DELIVERED, WebhookDeliveryState.FAILED)),
            WebhookDelivery.created_at < now() - timedelta(days=policy.RETENTION_DAYS)))
