"""The e-mails a partner gets: the brief, a follow-up, a reminder, a reopening. Each carries the signed portal link
and a Reply-To that brings an e-mail answer back to this escalation (``reply_address`` of the workspace's mail
settings, with the escalation's ``reply_token``), and threads under the first one (``In-Reply-To``).

An e-mail needs the public address and the secret key for its link, which listeners do not have: a listener asks
for it with :func:`request_mail` (a job, in the same transaction), and the job (:func:`queue_partner_mail`) writes
the mail and queues it through :func:`compris.mail.actions.queue_mail`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from compris import timeline
from compris.config import Settings
from compris.escalation import links
from compris.kit.clock import now
from compris.live import Publisher
from compris.mail.actions import message_id_domain, queue_mail
from compris.mail.queries import settings_of
from compris.models import Case, Escalation, Exchange, OutgoingMail, Partner
from compris.worker.queue import enqueue

MAIL_JOB = "escalation.mail"
KINDS = ("brief", "follow_up", "reminder", "reopened")


def request_mail(session: Session, publisher: Publisher, escalation: Escalation, *, kind: str,
                 exchange_id: int | None = None) -> None:
    """Ask for the partner's e-mail of this ``kind`` (the ``escalation.mail`` job writes and queues it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown escalation mail kind {kind!r}")
    enqueue(session, publisher, workspace_id=escalation.workspace_id, kind=MAIL_JOB,
            payload={"escalation_id": escalation.id, "kind": kind, "exchange_id": exchange_id})


def reply_to_address(session: Session, escalation: Escalation) -> str | None:
    """The tokenised address partners answer to (None when the workspace set no ``reply_address``)."""
    settings = settings_of(session, escalation.workspace_id)
    template = settings.reply_address if settings is not None else ""
    if not template:
        return None
    if "{token}" in template:
        return template.replace("{token}", escalation.reply_token)
    local, _, domain = template.rpartition("@")
    return f"{local}+{escalation.reply_token}@{domain}"


def queue_partner_mail(session: Session, publisher: Publisher, settings: Settings, escalation: Escalation, *,
                       kind: str, exchange: Exchange | None = None,
                       upload_ids: Sequence[int] = ()) -> OutgoingMail | None:
    """Write and queue one e-mail to the partner (None when the partner has no address)."""
    partner = session.get(Partner, escalation.partner_id)
    case = session.get(Case, escalation.case_id)
    assert partner is not None and case is not None
    recipients = [str(a) for a in partner.emails if str(a).strip()]
    if not recipients:
        return None
    at = now()
    url = links.url_for(settings.base_url, settings.secret_key, escalation, at, partner.link_days)
    body = exchange.text if exchange is not None else escalation.brief
    subject = f"[#{case.number}] {case.subject or 'Escalation'}"
    text = f"{body}\n\nAnswer here: {url}\n\nYou can also reply to this e-mail.\n"
    domain = message_id_domain(settings_of(session, escalation.workspace_id))
    message_id = f"compris.escalation.{escalation.id}.{kind}.{int(at.timestamp() * 1000)}@{domain}"
    headers: dict[str, str] = {}
    reply_to = reply_to_address(session, escalation)
    if reply_to:
        headers["Reply-To"] = reply_to
    if escalation.mail_message_id:
        headers["In-Reply-To"] = f"<{escalation.mail_message_id}>"
        headers["References"] = f"<{escalation.mail_message_id}>"
    mail = queue_mail(session, publisher, workspace_id=escalation.workspace_id, to=recipients, subject=subject,
                      text=text, purpose=f"escalation_{kind}", headers=headers, upload_ids=upload_ids,
                      ref={"escalation_id": escalation.id, "case_id": case.id}, message_id=message_id)
    if escalation.mail_message_id is None:
        escalation.mail_message_id = message_id
    if exchange is not None and exchange.mail_message_id is None:
        exchange.mail_message_id = message_id
    timeline.escalation_mailed(session, case, escalation_id=escalation.id, partner=partner.name, mail_kind=kind,
                               mail_id=mail.id)
    return mail
