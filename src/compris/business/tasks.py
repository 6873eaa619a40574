"""Job handlers and their schedule (``@handler``), declared in the ``compris.tasks`` entry point.

``business.call`` makes one run's call (:mod:`compris.business.calls`):

1. **Claim** the run with a conditional update, ``queued``/``running`` → ``running`` (attempts + 1), in its own
   transaction: a run already succeeded or failed is left alone, so a run never finishes twice. The job queue's
   lease means one worker at a time holds the job; a run found ``running`` is one whose worker died mid-call.
2. **Call** outside any transaction, with the action's timeout (at most 30 s, below the job's 60-second lease).
   The body and the ``Idempotency-Key`` are the run's own, the same on every attempt: the brand's endpoint
   de-duplicates on the key (the documented contract), so a retry after a timeout or a crash is safe.
3. **Record**: succeeded (the result fields), failed for good (a 4xx answer, a 2xx that is not a JSON object, or
   the last attempt), or back to ``queued`` and the job asks to run again after a backoff
   (:class:`~compris.worker.queue.RetryLater`).
"""

from __future__ import annotations

import logging
from typing import cast

from sqlalchemy import CursorResult, update

from compris.business import actions, calls
from compris.business.actions import CALL_JOB
from compris.business.queries import case_facts
from compris.kit.clock import now
from compris.kit.crypto import SecretsError
from compris.kit.errors import Invalid
from compris.models import BusinessAction, BusinessActionRun, Case, RunState, User
from compris.worker.queue import JobRun, RetryLater, backoff, handler

log = logging.getLogger(__name__)


def _case_summary(case: Case, network: str | None) -> dict[str, object]:
    return {"number": case.number, "network": network, "language": case.language}


@handler(CALL_JOB)
def call_action(run: JobRun) -> None:
    """Call the brand's endpoint for one run (see the module's docstring)."""
    run_id = int(run.payload["run_id"])
    settings = run.services.settings
    with run.db.transaction() as session:
        claimed = cast(CursorResult[tuple[()]], session.execute(
            update(BusinessActionRun)
            .where(BusinessActionRun.id == run_id, BusinessActionRun.workspace_id == run.workspace_id,
                   BusinessActionRun.state.in_((RunState.QUEUED, RunState.RUNNING)))
            .values(state=RunState.RUNNING, attempts=BusinessActionRun.attempts + 1, updated_at=now())
            .execution_options(synchronize_session=False)
        )).rowcount
        if not claimed:
            return  # already finished (or gone)
        row = session.get(BusinessActionRun, run_id)
        assert row is not None
        if row.started_at is None:
            row.started_at = now()
        action = session.get(BusinessAction, row.action_id)
        case = session.get(Case, row.case_id)
        assert action is not None and case is not None
        user = session.get(User, row.requested_by_id) if row.requested_by_id else None
        facts = case_facts(session, case)
        body = calls.request_body(
            action_key=action.key, run_id=row.id,
            case=_case_summary(case, facts.get("case.network")), input=dict(row.input),
            requested_by={"id": user.id, "name": user.name, "email": user.email} if user else {})
        attempts, max_attempts = row.attempts, action.max_attempts
        url, timeout, key = action.endpoint_url, action.timeout_seconds, row.idempotency_key
        try:
            secret = actions.signing_secret(settings.secret_key, action)
        except SecretsError:  # COMPRIS_SECRET_KEY changed: rotate the action's secret; never a stuck run
            actions.record_failure(session, run.publisher, run=row, status=None,
                                   error="the action's signing secret cannot be decrypted: rotate it")
            return
        try:  # the setting may have changed since the action was saved
            actions.check_endpoint(url, allow_local=settings.allow_local_http_endpoints or settings.demo)
        except Invalid as exc:
            actions.record_failure(session, run.publisher, run=row, status=None, error=exc.message)
            return
    outcome = calls.call(run.services.http, url=url, body=body, secret=secret, idempotency_key=key,
                         timestamp=int(now().timestamp()), timeout=timeout)
    with run.db.transaction() as session:
        row = session.get(BusinessActionRun, run_id)
        if row is None or row.state != RunState.RUNNING:
            return
        if outcome.outcome == "succeeded":
            actions.record_success(session, run.publisher, run=row, status=outcome.status, result=outcome.result)
            return
        error = outcome.error or "the call failed"
        if outcome.outcome == "retry" and attempts < max_attempts:
            row.state = RunState.QUEUED
            row.error = error
            row.http_status = outcome.status
            retry = True
        else:
            if outcome.outcome == "retry":
                error = f"{error} (gave up after {attempts} attempts)"
            actions.record_failure(session, run.publisher, run=row, status=outcome.status, error=error)
            retry = False
    if retry:
        log.info("business action run %s: attempt %s failed (%s), retrying", run_id, attempts, error)
        raise RetryLater(backoff(attempts), error)
