"""Every write of outgoing mail: queue a mail (the one way Compris e-mails someone who is not a customer on a
channel: partners, reminders), and record how its sending went."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.models import MailSettings, MailState, OutgoingMail
from compris.worker.queue import enqueue

SEND_JOB = "mail.send"
MAX_RECIPIENTS = 20


def _valid_address(value: str) -> bool:
    local, at, domain = value.strip().rpartition("@")
    return bool(at and local and "." in domain and not any(c in value for c in " \r\n<>,;"))


def message_id_domain(settings: MailSettings | None) -> str:
    """The domain of the Message-IDs of the workspace's mails (its sending address's, else ``compris.local``)."""
    address = settings.from_address if settings is not None else ""
    return address.rpartition("@")[2] or "compris.local"


def queue_mail(
    session: Session,
    publisher: Publisher,
    *,
    workspace_id: int,
    to: Sequence[str],
    subject: str,
    text: str,
    purpose: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    upload_ids: Sequence[int] = (),
    ref: Mapping[str, Any] | None = None,
    message_id: str | None = None,
) -> OutgoingMail:
    """Queue one e-mail; the ``mail.send`` job sends it over the workspace's SMTP settings, once.

    ``message_id`` (without angle brackets) may be chosen by the caller (to thread later mails under it); by
    default a random one on the workspace's domain. ``headers`` are added as given (``Reply-To``, ``In-Reply-To``,
    ``References``); header injection (a line break in a value) is refused."""
    recipients = [str(a).strip() for a in to if str(a).strip()]
    if not recipients:
        raise Invalid("a mail needs at least one recipient")
    if len(recipients) > MAX_RECIPIENTS or not all(_valid_address(a) for a in recipients):
        raise Invalid("a recipient's e-mail address is not valid")
    clean_headers = {str(k): str(v) for k, v in (headers or {}).items()}
    if any("\r" in k + v or "\n" in k + v for k, v in clean_headers.items()) or "\n" in subject or "\r" in subject:
        raise Invalid("a mail header cannot contain a line break")
    if message_id is None:
        settings = session.query(MailSettings).filter_by(workspace_id=workspace_id).one_or_none()
        message_id = f"compris.mail.{uuid.uuid4().hex}@{message_id_domain(settings)}"
    mail = OutgoingMail(
        workspace_id=workspace_id,
        to=recipients,
        subject=subject.strip()[:500],
        text=text,
        html=html,
        headers=clean_headers,
        upload_ids=[int(u) for u in upload_ids],
        message_id=message_id,
        purpose=purpose,
        ref=dict(ref or {}),
        state=MailState.QUEUED,
    )
    session.add(mail)
    session.flush()
    enqueue(session, publisher, workspace_id=workspace_id, kind=SEND_JOB, payload={"mail_id": mail.id},
            dedupe_key=f"mail:{mail.id}")
    return mail
