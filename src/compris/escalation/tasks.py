"""Jobs of escalation: the partner's e-mails (``escalation.mail``), the follow-up pass (reminders, overdue)."""

from __future__ import annotations

import base64
from datetime import timedelta

from compris.escalation import followup
from compris.escalation.actions.answers import store_partner_file
from compris.escalation.mailing import MAIL_JOB, queue_partner_mail
from compris.kit.clock import now
from compris.kit.errors import ComprisError
from compris.live import publish_case
from compris.models import Case, Escalation, Exchange
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


# --- the partner's side: the files of a partner's e-mail answer ------------------------------------------------

ANSWER_FILES_JOB = "escalation.answer_files"


@handler(ANSWER_FILES_JOB)
def store_answer_files(run: JobRun) -> None:
    """Store the attachments of a partner's e-mail answer (the same checks as an agent's upload) and add them to
    the answer; a file refused (empty, too large, an unknown type) is named in the answer with the reason."""
    settings = run.services.settings
    with run.db.transaction() as session:
        exchange = session.get(Exchange, int(run.payload["exchange_id"]))
        if exchange is None or exchange.workspace_id != run.workspace_id:
            return
        escalation = session.get(Escalation, exchange.escalation_id)
        if escalation is None or exchange.upload_ids:
            return  # stored already (the job ran twice)
        ids: list[int] = []
        refused: list[str] = []
        for item in run.payload.get("files") or []:
            name = str(item.get("name") or "")
            try:
                data = base64.b64decode(str(item.get("data") or ""), validate=True)
                upload = store_partner_file(session, settings.data_dir, escalation, data=data, name=name or None,
                                            max_bytes=settings.max_upload_bytes)
            except (ComprisError, ValueError) as exc:
                refused.append(f"{name or '?'}: {exc}")
                continue
            ids.append(upload.id)
        exchange.upload_ids = list(dict.fromkeys(ids))
        if refused:
            exchange.text = (exchange.text + "\n\n" + "\n".join(f"[file not accepted — {r}]" for r in refused)).strip()
        case = session.get(Case, escalation.case_id)
        if case is not None:
            publish_case(session, run.publisher, case, "escalation_answered", escalation_id=escalation.id)
