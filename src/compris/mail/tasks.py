"""The job that sends a queued mail over the workspace's SMTP settings (``mail.send``)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy.orm import Session

from compris.connectors.base import SendError
from compris.connectors.email.smtp import SMTP_POLICY, SmtpSettings, deliver
from compris.kit.clock import now
from compris.kit.crypto import decrypt_json
from compris.mail import queries
from compris.mail.actions import SEND_JOB
from compris.models import MailState, OutgoingMail, Upload
from compris.uploads.store import read
from compris.worker.queue import JobRun, RetryLater, backoff, handler

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def smtp_settings(session: Session, workspace_id: int, secret_key: str) -> SmtpSettings | None:
    """The workspace's SMTP settings for sending, or None when outgoing mail is not configured."""
    row = queries.settings_of(session, workspace_id)
    if row is None or not row.host or not row.from_address:
        return None
    secrets = decrypt_json(secret_key, row.secrets)
    return SmtpSettings(host=row.host, port=row.port, security=row.security, username=row.username or None,
                        password=secrets.get("password"), from_address=row.from_address,
                        from_name=row.from_name or None,
                        message_id_domain=row.from_address.rpartition("@")[2] or "compris.local")


def build(session: Session, config: SmtpSettings, mail: OutgoingMail, data_dir: Path) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = formataddr((config.from_name or "", config.from_address))
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now())
    message["Message-ID"] = f"<{mail.message_id}>"
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for upload_id in mail.upload_ids:
        upload = session.get(Upload, int(upload_id))
        if upload is None or upload.workspace_id != mail.workspace_id:
            continue
        maintype, _, subtype = upload.mime_type.partition("/")
        data = read(data_dir, upload.workspace_id, upload.sha256)
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=upload.name)
    return message


@handler(SEND_JOB)
def send_mail(run: JobRun) -> None:
    """Send one queued mail. A retryable SMTP error (4xx, connection) is retried with backoff up to
    ``MAX_ATTEMPTS`` times, then the mail is failed with the reason; a permanent one (5xx) fails at once.

    SMTP has no idempotency key: a worker that dies between handing the mail over and recording it leaves the
    row ``sending``, and the job's next run sends it again with the same Message-ID (mail clients show one)."""
    mail_id = int(run.payload["mail_id"])
    with run.db.transaction() as session:
        mail = session.get(OutgoingMail, mail_id)
        if mail is None or mail.workspace_id != run.workspace_id or mail.state in (MailState.SENT, MailState.FAILED):
            return
        config = smtp_settings(session, mail.workspace_id, run.services.secret_key)
        mail.attempts += 1
        attempts = mail.attempts
        if config is None:
            mail.state = MailState.FAILED
            mail.error = "outgoing mail is not configured (Administration → Outgoing mail)"
            return
        message = build(session, config, mail, Path(run.services.settings.data_dir))
        mail.state = MailState.SENDING
    try:
        deliver(config, message)
    except SendError as exc:
        retry = exc.retryable and attempts < MAX_ATTEMPTS
        with run.db.transaction() as session:
            mail = session.get(OutgoingMail, mail_id)
            assert mail is not None
            mail.state = MailState.QUEUED if retry else MailState.FAILED
            mail.error = str(exc)
        if retry:
            raise RetryLater(backoff(attempts), str(exc)) from None
        log.warning("mail %s failed: %s", mail_id, exc)
        return
    with run.db.transaction() as session:
        mail = session.get(OutgoingMail, mail_id)
        assert mail is not None
        mail.state = MailState.SENT
        mail.error = None
        mail.sent_at = now()
