"""Jobs of escalation: the partner's e-mails (``escalation.mail``), the follow-up pass (reminders, overdue)."""

from __future__ import annotations

from datetime import timedelta

from compris.escalation import followup
from compris.escalation.mailing import MAIL_JOB, queue_partner_mail
from compris.kit.clock import now
from compris.models import Escalation, Exchange
from compris.worker.queue import JobRun, handler


@handler(MAIL_JOB)
def mail_partner(run: JobRun) -> None:
    """Write and queue the partner's e-mail asked for by :func:`~compris.escalation.mailing.request_mail`."""
    with run.db.transaction() as session:
        escalation = session.get(Escalation, int(run.payload["escalation_id"]))
        if escalation is None or escalation.workspace_id != run.workspace_id:
            return
        exchange_id = run.payload.get("exchange_id")
        exchange = session.get(Exchange, int(exchange_id)) if exchange_id else None
        if exchange is not None and exchange.mail_message_id is not None:
            return  # already mailed (the job ran twice)
        upload_ids = [int(u) for u in (exchange.upload_ids if exchange is not None else
                                       escalation.shared.get("upload_ids") or [])]
        queue_partner_mail(session, run.publisher, run.services.settings, escalation,
                           kind=str(run.payload["kind"]), exchange=exchange, upload_ids=upload_ids)


# --- follow-up (reminders and overdue; esc-followup) -------------------------------------------------------------

FOLLOW_UP_JOB = "escalation.follow_up"
FOLLOW_UP_BATCH = 500


@handler(FOLLOW_UP_JOB, every=timedelta(seconds=60))  # only escalations whose check time has come
def follow_up_pass(run: JobRun) -> None:
    """Every workspace's escalations whose ``next_check_at`` has come, in batches (one transaction each): reminders
    and overdue (:mod:`compris.escalation.followup`)."""
    at = now()
    for _ in range(1000):  # bounded: 500,000 escalations a minute is far beyond one workspace
        with run.db.transaction() as session:
            result = followup.run_pass(session, run.publisher, run.services.settings, at, limit=FOLLOW_UP_BATCH)
        if result.checked < FOLLOW_UP_BATCH:
            break
