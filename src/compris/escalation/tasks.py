"""Jobs of escalation: the partner's e-mails (``escalation.mail``), the follow-up pass (reminders, overdue)."""

from __future__ import annotations

from compris.escalation.mailing import MAIL_JOB, queue_partner_mail
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
