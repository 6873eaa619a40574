"""Every write of outgoing mail: queue a mail (the one way Compris e-mails someone who is not a customer on a
channel: partners, reminders), the workspace's SMTP settings (admins) and the test mail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.audit import record
from compris.kit.crypto import decrypt_json, encrypt_json
from compris.kit.errors import Invalid
from compris.live import Publisher
from compris.mail import queries
from compris.models import MailSettings, MailState, OutgoingMail, User
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
        message_id = f"compris.mail.{uuid.uuid4().hex}@{message_id_domain(queries.settings_of(session, workspace_id))}"
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


# --- settings and the test mail (admins) -------------------------------------------------------------------------

SECURITIES = ("ssl", "starttls", "plain")
REDACTED = "••••••••"  # what is shown instead of a stored password
TEST_PURPOSE = "test"
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")


def _clean_line(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if "\r" in value or "\n" in value:
        raise Invalid(f"{what} cannot contain a line break")
    if len(value) > limit:
        raise Invalid(f"{what} is too long (at most {limit} characters)")
    return value


def check_reply_address(value: str) -> str:
    """``care+{token}@brand.example`` (``{token}`` once, before the ``@``) or a plain address; empty is allowed."""
    value = _clean_line(value, "the reply address", 254)
    if not value:
        return ""
    if value.count("{token}") > 1 or ("{token}" in value and "{token}" not in value.rpartition("@")[0]):
        raise Invalid("the reply address takes {token} once, before the @ (care+{token}@brand.example)")
    if not _valid_address(value.replace("{token}", "t0ken")) or "{" in value.replace("{token}", ""):
        raise Invalid("the reply address is not a valid e-mail address")
    return value


def save_settings(session: Session, publisher: Publisher, *, actor: User, secret_key: str, host: str = "",
                  port: int = 587, security: str = "starttls", username: str = "", password: str | None = None,
                  clear_password: bool = False, from_address: str = "", from_name: str = "",
                  reply_address: str = "") -> MailSettings:
    """Check and store the workspace's outgoing mail settings (one row). The password is stored encrypted and only
    when given (None keeps it); the audit row names the fields that changed, never a value of a secret."""
    host = _clean_line(host, "the SMTP host", 255)
    if host and not _HOST.match(host):
        raise Invalid("the SMTP host is not a host name or an address")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise Invalid("the port must be between 1 and 65535")
    if security not in SECURITIES:
        raise Invalid("security must be ssl, starttls or plain")
    username = _clean_line(username, "the user name", 254)
    from_address = _clean_line(from_address, "the sending address", 254)
    if from_address and not _valid_address(from_address):
        raise Invalid("the sending address is not a valid e-mail address")
    if host and not from_address:
        raise Invalid("a sending address is needed to send mail")
    from_name = _clean_line(from_name, "the sender's name", 200)
    reply_address = check_reply_address(reply_address)
    if password is not None and ("\r" in password or "\n" in password or len(password) > 500):
        raise Invalid("the password cannot contain a line break (at most 500 characters)")
    row = session.scalar(select(MailSettings).where(MailSettings.workspace_id == actor.workspace_id)
                         .with_for_update())
    created = row is None
    if row is None:
        row = MailSettings(workspace_id=actor.workspace_id)
        session.add(row)
    values = {"host": host, "port": port, "security": security, "username": username,
              "from_address": from_address, "from_name": from_name, "reply_address": reply_address}
    changes = [k for k, v in values.items() if created or getattr(row, k) != v]
    for key, value in values.items():
        setattr(row, key, value)
    secrets = decrypt_json(secret_key, row.secrets) if row.secrets else {}
    if clear_password and secrets.get("password"):
        secrets.pop("password")
        changes.append("password")
    elif password:
        if secrets.get("password") != password:
            changes.append("password")
        secrets["password"] = password
    row.secrets = encrypt_json(secret_key, secrets) if secrets else ""
    row.updated_by_id = actor.id
    session.flush()
    record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="mail_settings",
           action="created" if created else "updated", entity_id=row.id, changes=changes)
    return row


def send_test_mail(session: Session, publisher: Publisher, *, actor: User, to: str | None = None) -> OutgoingMail:
    """Queue a short test mail (to the admin's own address by default): the log shows how it went."""
    settings = session.scalar(select(MailSettings).where(MailSettings.workspace_id == actor.workspace_id))
    if settings is None or not settings.host or not settings.from_address:
        raise Invalid("set the SMTP server and the sending address first")
    address = (to or actor.email).strip()
    if not _valid_address(address):
        raise Invalid("the test mail's address is not a valid e-mail address")
    mail = queue_mail(
        session, publisher, workspace_id=actor.workspace_id, to=[address], purpose=TEST_PURPOSE,
        subject="Compris: test mail / e-mail de test",
        text=(f"This test mail was sent by {actor.name} from Compris, through {settings.host}:{settings.port}.\n"
              "If you read it, the workspace's outgoing mail works.\n\n"
              f"Cet e-mail de test a été envoyé par {actor.name} depuis Compris, via "
              f"{settings.host}:{settings.port}.\nSi vous le lisez, l'envoi d'e-mails de l'espace fonctionne.\n"),
        ref={"user_id": actor.id},
    )
    record(session, publisher, workspace_id=actor.workspace_id, actor_user_id=actor.id, entity="mail_settings",
           action="tested", entity_id=settings.id)
    return mail
