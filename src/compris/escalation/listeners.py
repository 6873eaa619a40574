"""Reactions to other capabilities' domain events (``@listens``), declared in the ``compris.listeners`` entry point."""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session

from compris.bus import listens
from compris.escalation import followup
from compris.escalation.actions.answers import (
    HOLDER,
    already_recorded,
    escalation_for_mail,
    record_answer,
    strip_quoted,
)
from compris.escalation.mailing import request_mail
from compris.escalation.tasks import ANSWER_FILES_JOB
from compris.events import (
    Claim,
    EscalationAnswered,
    EscalationChange,
    EscalationClosed,
    EscalationCreated,
    EscalationFollowedUp,
    EscalationReopened,
    InboundScreened,
)
from compris.inbox.actions.cases import change_status
from compris.live import Publisher, publish_case
from compris.mail.queries import settings_of
from compris.models import OPEN_ESCALATION_STATUSES, Case, CaseStatus, Escalation, Exchange, Partner
from compris.uploads.actions import hold
from compris.worker.queue import enqueue

# --- escalation core (esc-core): the case's status follows its escalations ------------------------------------


@listens(EscalationAnswered, order=50)
def reopen_case_on_answer(session: Session, publisher: Publisher, event: EscalationAnswered) -> None:
    """The partner answered: a case waiting on the partner goes back to open (through the one status path, so the
    customer SLA's pause ends), and the agents, the assignee first, see the answer live."""
    case = session.get(Case, event.case_id)
    if case is None or case.workspace_id != event.workspace_id:
        return
    if case.status == CaseStatus.WAITING_PARTNER:
        change_status(session, publisher, case, CaseStatus.OPEN, reason="the partner answered")
    partner = session.get(Partner, event.partner_id)
    publish_case(session, publisher, case, "escalation_answered", escalation_id=event.escalation_id,
                 partner=partner.name if partner else "", outcome=event.outcome, notify_user_id=case.assignee_id)


# --- end of escalation core ----------------------------------------------------------------------------------


# --- follow-up: when the follow-up pass looks at an escalation next (esc-followup) ---------------------------------


@listens(EscalationCreated, EscalationReopened, EscalationFollowedUp, EscalationAnswered, EscalationClosed)
def schedule_follow_up(session: Session, publisher: Publisher, event: EscalationChange) -> None:
    """(Re)compute ``next_check_at``: a new or reopened escalation gets a fresh schedule (a reopened one can be
    overdue again for its new due time); an answered, closed or cancelled one has none (no more reminders)."""
    escalation = session.get(Escalation, event.escalation_id)
    if escalation is None or escalation.workspace_id != event.workspace_id:
        return
    if isinstance(event, EscalationReopened):
        escalation.overdue_at = None
    followup.reschedule(session, escalation)


# --- the partner's side: the partner's e-mails, and a partner's answer by e-mail ------------------------------

#: the bytes of a mailed answer's attachments travel in the job that stores them (checked there like any upload)
MAX_MAILED_FILES = 5
MAX_MAILED_BYTES = 30 * 1024 * 1024


@listens(EscalationCreated)
def mail_the_brief(session: Session, publisher: Publisher, event: EscalationCreated) -> None:
    """A new escalation: the partner gets the brief by e-mail; the files shared with them are kept."""
    escalation = session.get(Escalation, event.escalation_id)
    if escalation is None:
        return
    hold(session, escalation.workspace_id, [int(u) for u in (escalation.shared or {}).get("upload_ids") or []],
         by=HOLDER)
    request_mail(session, publisher, escalation, kind="brief")


@listens(EscalationFollowedUp)
def mail_the_follow_up(session: Session, publisher: Publisher, event: EscalationFollowedUp) -> None:
    """The agent wrote to the partner again: that message goes out by e-mail, in the thread, with its files."""
    escalation = session.get(Escalation, event.escalation_id)
    exchange = session.get(Exchange, event.exchange_id)
    if escalation is None or exchange is None:
        return
    hold(session, escalation.workspace_id, [int(u) for u in exchange.upload_ids or []], by=HOLDER)
    request_mail(session, publisher, escalation, kind="follow_up", exchange_id=exchange.id)


@listens(EscalationReopened)
def mail_the_reopening(session: Session, publisher: Publisher, event: EscalationReopened) -> None:
    """A reopened escalation: the partner is told, with a fresh link."""
    escalation = session.get(Escalation, event.escalation_id)
    if escalation is not None:
        request_mail(session, publisher, escalation, kind="reopened")


@listens(InboundScreened, order=50)
def claim_partner_answer(session: Session, publisher: Publisher, event: InboundScreened) -> None:
    """An e-mail answering an escalation (its tokenised Reply-To address among the recipients, or the thread's
    Message-IDs) is the partner's answer: recorded on the escalation (``via="email"``), nothing in the inbox.

    The sender need not be one of the partner's addresses (a colleague at the hotel answers): the answer is
    accepted and its sender recorded (``author_email``; the timeline says when it is not a known address).
    Automatic mails (out of office, bounces) are claimed and dropped; a mail about a closed or cancelled
    escalation is left to the inbox, where an agent sees it."""
    if event.claims:
        return
    message = event.message
    extra = dict(getattr(message, "extra", None) or {})
    # a mail's recipients and thread (what the e-mail connector puts in ``extra``; other networks have none)
    addresses = [*(extra.get("to") or []), *(extra.get("cc") or []), *(extra.get("delivered_to") or [])]
    message_ids = [m for m in [extra.get("in_reply_to"), *(extra.get("references") or [])] if m]
    if not addresses and not message_ids:
        return
    mail_settings = settings_of(session, event.workspace_id)
    escalation = escalation_for_mail(session, event.workspace_id,
                                     reply_address=mail_settings.reply_address if mail_settings else "",
                                     addresses=[str(a) for a in addresses], message_ids=[str(m) for m in message_ids])
    if escalation is None:
        return
    if extra.get("automatic"):
        event.claims.append(Claim(by="escalation", case_id=escalation.case_id, keep=False, reason="automatic mail"))
        return
    if escalation.status not in OPEN_ESCALATION_STATUSES:
        return
    mail_id = str(extra.get("message_id") or message.platform_message_id or "")
    claim = Claim(by="escalation", case_id=escalation.case_id, keep=False, reason="partner answer")
    if already_recorded(session, escalation, mail_id):
        event.claims.append(claim)  # the mailbox was read twice: recorded once
        return
    files = [a for a in message.attachments if getattr(a, "data", None)][:MAX_MAILED_FILES]
    text = strip_quoted(str(message.text or ""))
    exchange = record_answer(session, publisher, escalation, outcome="answer", text=text or "(e-mail)", via="email",
                             author_email=str(message.author.platform_user_id or "") or None,
                             mail_message_id=mail_id)
    payload_files = []
    total = 0
    for attachment in files:
        data: bytes = attachment.data
        total += len(data)
        if total > MAX_MAILED_BYTES:
            break
        payload_files.append({"name": attachment.name or "", "data": base64.b64encode(data).decode()})
    if payload_files:
        enqueue(session, publisher, workspace_id=escalation.workspace_id, kind=ANSWER_FILES_JOB,
                payload={"exchange_id": exchange.id, "files": payload_files})
    event.claims.append(claim)
