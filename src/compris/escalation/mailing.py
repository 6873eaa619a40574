"""The e-mails a partner gets: the brief, a follow-up, a reminder, a reopening. Each carries the signed portal link
and a Reply-To that brings an e-mail answer back to this escalation (``reply_address`` of the workspace's mail
settings, with the escalation's ``reply_token``), and threads under the first one (``In-Reply-To``).

An e-mail needs the public address and the secret key for its link, which listeners do not have: a listener asks
for it with :func:`request_mail` (a job, in the same transaction), and the job (:func:`queue_partner_mail`) writes
the mail and queues it through :func:`compris.mail.actions.queue_mail`.

The mail is in the partner's language (English or French), plain text with an HTML alternative (every piece of
customer, agent or partner text escaped), the due time in the partner's calendar's time zone, what the agent
chose to share (:func:`compris.escalation.sharing.shared_view`, masked as chosen) with the shared files attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from compris import timeline
from compris.config import Settings
from compris.escalation import links
from compris.escalation.sharing import CUSTOMER, shared_view
from compris.kit.clock import now
from compris.live import Publisher
from compris.mail.actions import message_id_domain, queue_mail
from compris.mail.queries import settings_of
from compris.models import (
    BusinessHours,
    Case,
    Escalation,
    Exchange,
    MailSettings,
    OutgoingMail,
    Partner,
    Upload,
    Workspace,
)
from compris.triage.pii import mask
from compris.worker.queue import enqueue

MAIL_JOB = "escalation.mail"
KINDS = ("brief", "follow_up", "reminder", "reopened")
LANGUAGES = ("en", "fr")

#: the words of the mail, per language (the agent UI's catalogue lives in the web layer, below which mails are
#: written; these few sentences are kept here, both languages side by side)
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "subject.brief": "Case #{number}: {subject}",
        "subject.follow_up": "Re: Case #{number}: {subject}",
        "subject.reminder": "Reminder: case #{number}: {subject}",
        "subject.reopened": "Reopened: case #{number}: {subject}",
        "hello": "Hello {name},",
        "intro.brief": "{brand} needs your help with one of its customers' requests.",
        "intro.follow_up": "{brand} wrote again about this request.",
        "intro.reminder": "{brand} is still waiting for your answer about this request.",
        "intro.reopened": "{brand} reopened this request: it needs your help again.",
        "due": "Please answer by {due}.",
        "shared": "What {brand} shares with you",
        "attachments": "Attached files",
        "customer": "Customer",
        "agent": "{brand}",
        "answer": "Answer on this page (no account needed):",
        "button": "Answer",
        "reply": "or simply reply to this e-mail.",
        "link_life": "The link works until {until}.",
        "signature": "Thank you,\n{brand}",
    },
    "fr": {
        "subject.brief": "Dossier n° {number} : {subject}",
        "subject.follow_up": "Re: Dossier n° {number} : {subject}",
        "subject.reminder": "Rappel : dossier n° {number} : {subject}",
        "subject.reopened": "Rouvert : dossier n° {number} : {subject}",
        "hello": "Bonjour {name},",
        "intro.brief": "{brand} a besoin de votre aide pour la demande d'un de ses clients.",
        "intro.follow_up": "{brand} vous écrit de nouveau au sujet de cette demande.",
        "intro.reminder": "{brand} attend toujours votre réponse au sujet de cette demande.",
        "intro.reopened": "{brand} a rouvert cette demande : elle a de nouveau besoin de votre aide.",
        "due": "Merci de répondre avant le {due}.",
        "shared": "Ce que {brand} partage avec vous",
        "attachments": "Pièces jointes",
        "customer": "Client",
        "agent": "{brand}",
        "answer": "Répondez sur cette page (sans compte) :",
        "button": "Répondre",
        "reply": "ou répondez simplement à cet e-mail.",
        "link_life": "Le lien fonctionne jusqu'au {until}.",
        "signature": "Merci,\n{brand}",
    },
}

#: the mail's plain text and HTML (``mail_templates/partner.txt``, ``partner.html``); the HTML escapes every value
TEMPLATES = Path(__file__).resolve().parent / "mail_templates"
_TEXT_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False,  # noqa: S701 (plain text)
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
_HTML_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)


def request_mail(session: Session, publisher: Publisher, escalation: Escalation, *, kind: str,
                 exchange_id: int | None = None) -> None:
    """Ask for the partner's e-mail of this ``kind`` (the ``escalation.mail`` job writes and queues it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown escalation mail kind {kind!r}")
    enqueue(session, publisher, workspace_id=escalation.workspace_id, kind=MAIL_JOB,
            payload={"escalation_id": escalation.id, "kind": kind, "exchange_id": exchange_id})


def reply_to_address(settings: MailSettings | None, escalation: Escalation) -> str | None:
    """The tokenised address partners answer to (None when the workspace set no ``reply_address``)."""
    template = settings.reply_address if settings is not None else ""
    if not template:
        return None
    if "{token}" in template:
        return template.replace("{token}", escalation.reply_token)
    local, _, domain = template.rpartition("@")
    return f"{local}+{escalation.reply_token}@{domain}"


def partner_language(partner: Partner) -> str:
    code = (partner.language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else "en"


def partner_timezone(session: Session, partner: Partner, workspace: Workspace | None) -> str:
    """The time zone the partner reads times in: their business calendar's, else the workspace's."""
    if partner.business_hours_id is not None:
        hours = session.get(BusinessHours, partner.business_hours_id)
        if hours is not None and hours.timezone:
            return hours.timezone
    return workspace.timezone if workspace is not None and workspace.timezone else "UTC"


def format_time(value: datetime, lang: str, tz: str) -> str:
    """A date and time as the partner reads it: their language, their time zone, its name."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone, tz = ZoneInfo("UTC"), "UTC"
    return f"{format_datetime(value, format='medium', tzinfo=zone, locale=lang)} ({tz})"


@dataclass(frozen=True)
class PartnerMail:
    subject: str
    text: str
    html: str


def compose(session: Session, escalation: Escalation, *, kind: str, url: str, link_expires: datetime,
            exchange: Exchange | None = None, file_names: Sequence[str] = ()) -> PartnerMail:
    """The subject, plain text and HTML of one partner e-mail (nothing written)."""
    partner = session.get(Partner, escalation.partner_id)
    case = session.get(Case, escalation.case_id)
    workspace = session.get(Workspace, escalation.workspace_id)
    assert partner is not None and case is not None
    lang = partner_language(partner)
    words = WORDS[lang]
    tz = partner_timezone(session, partner, workspace)
    brand = workspace.name if workspace is not None else "Compris"
    mail_settings = settings_of(session, escalation.workspace_id)
    signer = (mail_settings.from_name if mail_settings is not None and mail_settings.from_name else brand)
    view = shared_view(session, escalation)
    subject_text = case.subject or ""
    if not view.personal_data:
        subject_text = mask(subject_text)
    subject_text = " ".join(subject_text.split())[:150] or ("Escalation" if lang == "en" else "Escalade")
    subject = words[f"subject.{kind}"].format(number=case.number, subject=subject_text)
    body = exchange.text if exchange is not None and exchange.text else escalation.brief
    shared = [{"author": words["customer"] if m.from_customer and m.author == CUSTOMER else m.author,
               "at": format_time(m.sent_at, lang, tz), "text": m.text} for m in view.messages] \
        if kind in ("brief", "reopened") else []
    values: dict[str, Any] = {
        "lang": lang,
        "subject": subject,
        "hello": words["hello"].format(name=partner.name),
        "intro": words[f"intro.{kind}"].format(brand=brand),
        "body": body,
        "due": words["due"].format(due=format_time(escalation.due_at, lang, tz)) if escalation.due_at else "",
        "shared": shared,
        "shared_title": words["shared"].format(brand=brand),
        "files": list(file_names),
        "files_title": words["attachments"],
        "answer": words["answer"],
        "button": words["button"],
        "url": url,
        "reply": words["reply"],
        "link_life": words["link_life"].format(until=format_time(link_expires, lang, tz)),
        "signature": words["signature"].format(brand=signer),
    }
    text = _TEXT_ENV.get_template("partner.txt").render(values)
    html = _HTML_ENV.get_template("partner.html").render(values)
    return PartnerMail(subject=subject, text=text, html=html)


def queue_partner_mail(session: Session, publisher: Publisher, settings: Settings, escalation: Escalation, *,
                       kind: str, exchange: Exchange | None = None,
                       upload_ids: Sequence[int] = ()) -> OutgoingMail | None:
    """Write and queue one e-mail to the partner (None when the partner has no address)."""
    partner = session.get(Partner, escalation.partner_id)
    case = session.get(Case, escalation.case_id)
    assert partner is not None and case is not None
    recipients = [str(a).strip() for a in partner.emails if str(a).strip()]
    if not recipients:
        return None
    at = now()
    days = max(1, partner.link_days)
    url = links.url_for(settings.base_url, settings.secret_key, escalation, at, days)
    expires = links.expiry(at, days)
    ids = [int(u) for u in upload_ids]
    if not ids and exchange is None and kind in ("brief", "reopened"):
        ids = [f.id for f in shared_view(session, escalation).files]
    files = [u for u in (session.get(Upload, i) for i in dict.fromkeys(ids))
             if u is not None and u.workspace_id == escalation.workspace_id]
    mail_text = compose(session, escalation, kind=kind, url=url, link_expires=expires, exchange=exchange,
                        file_names=[u.name for u in files])
    mail_settings = settings_of(session, escalation.workspace_id)
    domain = message_id_domain(mail_settings)
    message_id = f"compris.escalation.{escalation.id}.{kind}.{int(at.timestamp() * 1000)}@{domain}"
    headers: dict[str, str] = {}
    reply_to = reply_to_address(mail_settings, escalation)
    if reply_to:
        headers["Reply-To"] = reply_to
    if escalation.mail_message_id:
        headers["In-Reply-To"] = f"<{escalation.mail_message_id}>"
        headers["References"] = f"<{escalation.mail_message_id}>"
    mail = queue_mail(session, publisher, workspace_id=escalation.workspace_id, to=recipients,
                      subject=mail_text.subject, text=mail_text.text, html=mail_text.html,
                      purpose=f"escalation_{kind}", headers=headers, upload_ids=[u.id for u in files],
                      ref={"escalation_id": escalation.id, "case_id": case.id}, message_id=message_id)
    if escalation.mail_message_id is None:
        escalation.mail_message_id = message_id
    if exchange is not None and exchange.mail_message_id is None:
        exchange.mail_message_id = message_id
    timeline.escalation_mailed(session, case, escalation_id=escalation.id, partner=partner.name, mail_kind=kind,
                               mail_id=mail.id)
    return mail
