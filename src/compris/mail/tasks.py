"""The job that sends a queued mail over the workspace's SMTP settings (``mail.send``).

States of a mail: ``queued`` → ``sending`` → ``sent``, or ``failed`` with the reason (shown in the mail log of the
admin page). What happens when:

* outgoing mail is not configured (no host or no sending address): ``failed`` at once, "outgoing mail is not
  configured"; an attachment that is gone, or a stored password that cannot be decrypted (the secret key changed):
  ``failed`` at once too, with the reason;
* the server answers 4xx (greylisting, "try again later") or cannot be reached: back to ``queued`` with the error,
  and the job runs again after an exponential backoff, up to :data:`MAX_ATTEMPTS` attempts, then ``failed``;
* the server answers 5xx (a recipient unknown, the message refused, the login refused): ``failed`` at once;
* the worker dies while talking to the server: the row stays ``sending``. SMTP has no idempotency key, so nobody
  knows whether the server took the mail. The job's lease expires and the queue runs it again: it sends it again with
  the *same* Message-ID (mail clients and most servers show one), and notes it in ``error``. A rare duplicate is
  better than a partner who never hears from us.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy.orm import Session

from compris.connectors.base import SendError
from compris.connectors.email.smtp import SMTP_POLICY, SmtpSettings, deliver
from compris.kit.clock import now
from compris.kit.crypto import SecretsError, decrypt_json
from compris.mail import queries
from compris.mail.actions import SEND_JOB, message_id_domain
from compris.models import MailState, OutgoingMail, Upload
from compris.uploads.store import read
from compris.worker.queue import JobRun, RetryLater, backoff, handler

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
NOT_CONFIGURED = "outgoing mail is not configured (Administration → Outgoing mail)"
AGAIN = "the previous attempt stopped while talking to the mail server; sent again with the same Message-ID"
#: how long one SMTP conversation may take (connect, each command)
TIMEOUT = 30.0


class MissingAttachment(Exception):
    """An attachment of the mail is no longer stored."""


def smtp_settings(session: Session, workspace_id: int, secret_key: str) -> SmtpSettings | None:
    """The workspace's SMTP settings for sending, or None when outgoing mail is not configured."""
    row = queries.settings_of(session, workspace_id)
    if row is None or not row.host or not row.from_address:
        return None
    secrets = decrypt_json(secret_key, row.secrets)
    return SmtpSettings(host=row.host, port=row.port, security=row.security, username=row.username or None,
                        password=secrets.get("password"), from_address=row.from_address,
                        from_name=row.from_name or None,
                        message_id_domain=message_id_domain(row), timeout=TIMEOUT)


def build(session: Session, config: SmtpSettings, mail: OutgoingMail, data_dir: Path) -> EmailMessage:
    """The message as it goes out: headers, the text (and HTML) body, the attachments (read from the uploads)."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = formataddr((config.from_name or "", config.from_address))
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now())
    message["Message-ID"] = f"<{mail.message_id}>"
    for name, value in mail.headers.items():
        if name.lower() in ("from", "to", "subject", "date", "message-id"):
            continue  # set above; a second one would make the message invalid
        message[name] = value
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for upload_id in mail.upload_ids:
        upload = session.get(Upload, int(upload_id))
        if upload is None or upload.workspace_id != mail.workspace_id:
            raise MissingAttachment(f"attachment {upload_id} no longer exists")
        maintype, _, subtype = (upload.mime_type or "application/octet-stream").partition("/")
        try:
            data = read(data_dir, upload.workspace_id, upload.sha256)
        except FileNotFoundError as exc:
            raise MissingAttachment(f"the file of {upload.name} is missing: {exc}") from None
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=upload.name)
    return message


@handler(SEND_JOB)
def send_mail(run: JobRun) -> None:
    """Send one queued mail (see the module's docstring for the states and the retries)."""
    mail_id = int(run.payload["mail_id"])
    with run.db.transaction() as session:
        mail = session.get(OutgoingMail, mail_id)
        if mail is None or mail.workspace_id != run.workspace_id or mail.state in (MailState.SENT, MailState.FAILED):
            return
        again = mail.state == MailState.SENDING  # a worker died in the middle of the previous attempt
        mail.attempts += 1
        attempts = mail.attempts
        try:
            config = smtp_settings(session, mail.workspace_id, run.services.secret_key)
        except SecretsError as exc:  # the stored password cannot be read: it must be saved again
            mail.state = MailState.FAILED
            mail.error = f"{exc} Save the SMTP password again (Administration → Outgoing mail)."
            return
        if config is None:
            mail.state = MailState.FAILED
            mail.error = NOT_CONFIGURED
            return
        try:
            message = build(session, config, mail, Path(run.services.settings.data_dir))
        except MissingAttachment as exc:
            mail.state = MailState.FAILED
            mail.error = str(exc)
            return
        recipients = list(mail.to)
        mail.state = MailState.SENDING
        if again:
            mail.error = AGAIN
    try:
        deliver(config, message, recipients)
    except SendError as exc:
        retry = exc.retryable and attempts < MAX_ATTEMPTS
        with run.db.transaction() as session:
            mail = session.get(OutgoingMail, mail_id)
            assert mail is not None
            mail.state = MailState.QUEUED if retry else MailState.FAILED
            mail.error = str(exc) if retry else f"{exc} (after {attempts} attempt{'s' if attempts > 1 else ''})"
        if retry:
            raise RetryLater(backoff(attempts), str(exc)) from None
        log.warning("mail %s failed: %s", mail_id, exc)
        return
    with run.db.transaction() as session:
        mail = session.get(OutgoingMail, mail_id)
        assert mail is not None
        mail.state = MailState.SENT
        mail.error = AGAIN if again else None
        mail.sent_at = now()
