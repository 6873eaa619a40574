"""Replies over SMTP: threading headers and a Message-ID derived from the idempotency key."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any

from compris.connectors.base import Choice, OutboundMessage, SendError
from compris.connectors.choices import as_text

MAX_REFERENCES = 20
#: SMTP line endings; headers folded only beyond RFC 5322's hard limit so that ids stay on one line
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # ssl | starttls | plain
    username: str | None
    password: str | None
    from_address: str
    from_name: str | None
    message_id_domain: str
    timeout: float = 30.0

    @classmethod
    def from_account(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> SmtpSettings:
        host = settings.get("smtp_host")
        from_address = settings.get("from_address")
        if not host or not from_address:
            raise SendError("the account needs smtp_host and from_address settings", retryable=False)
        security = str(settings.get("smtp_security") or "ssl")
        if security not in ("ssl", "starttls", "plain"):
            raise SendError(f"smtp_security must be ssl, starttls or plain, not {security!r}", retryable=False)
        port = int(settings.get("smtp_port") or {"ssl": 465, "starttls": 587}.get(security, 25))
        domain = str(settings.get("message_id_domain") or str(from_address).rpartition("@")[2] or "localhost")
        return cls(host=str(host), port=port, security=security,
                   username=str(settings["smtp_username"]) if settings.get("smtp_username") else None,
                   password=secrets.get("smtp_password"), from_address=str(from_address),
                   from_name=str(settings["from_name"]) if settings.get("from_name") else None,
                   message_id_domain=domain, timeout=float(settings.get("timeout") or 30.0))


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The same reply always gets the same Message-ID, so a retried send is recognisable."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"compris.{digest}@{domain}"


def _subject(message: OutboundMessage) -> str:
    subject = str(message.extra.get("subject") or "").strip()
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith(("re:", "aw:", "sv:")) else f"Re: {subject}"


def build_reply(config: SmtpSettings, message: OutboundMessage, now: datetime) -> EmailMessage:
    to = message.extra.get("reply_to_address") or (
        (message.recipient.handle or message.recipient.platform_user_id) if message.recipient else None)
    if not to or "@" not in str(to):
        raise SendError("an e-mail reply needs the customer's address", retryable=False)
    local, _, domain = config.from_address.rpartition("@")
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["From"] = Address(display_name=config.from_name or "", username=local, domain=domain)
    mail["To"] = str(to)
    mail["Subject"] = _subject(message)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<{message_id_for(message.idempotency_key, config.message_id_domain)}>"
    if message.reply_to_platform_id:
        references = [str(r) for r in message.extra.get("references") or [] if r]
        if message.reply_to_platform_id not in references:
            references.append(message.reply_to_platform_id)
        mail["In-Reply-To"] = f"<{message.reply_to_platform_id}>"
        kept = references[:1] + references[1:][-(MAX_REFERENCES - 1):]  # keep the root and the newest
        mail["References"] = " ".join(f"<{r}>" for r in kept)
    mail.set_content(as_text(message.text, message.choices), cte="quoted-printable")  # 7-bit safe on any server
    if any(_linkable(c.url) for c in message.choices):  # one-click answers: an HTML part with real links too
        mail.add_alternative(choices_html(message.text, message.choices), subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        if attachment.data is None:
            raise SendError(f"the bytes of {attachment.name or 'an attachment'} were not given", retryable=False)
        maintype, _, subtype = (attachment.mime_type or "application/octet-stream").partition("/")
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                            filename=attachment.name or f"attachment-{attachment.upload_id or ''}")
    return mail


def _linkable(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def choices_html(text: str, choices: Sequence[Choice]) -> str:
    """The HTML alternative of a message offering one-click answers: the text (escaped, one paragraph per blank
    line) and a list of links, one per choice with a ``url`` (a choice without one is shown as plain text)."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(f"<p>{escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    items = []
    for choice in choices:
        label = escape(" ".join(choice.label.split()))
        if _linkable(choice.url):
            items.append(f'<li style="margin:6px 0"><a href="{escape(str(choice.url), quote=True)}" '
                         f'style="font-size:18px;text-decoration:none">{label}</a></li>')
        else:
            items.append(f"<li>{label}</li>")
    return (f'<!doctype html><html><body style="font-family:sans-serif">{body}'
            f'<ul style="list-style:none;padding:0">{"".join(items)}</ul></body></html>')


def _code_error(code: int, text: bytes | str, what: str) -> SendError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return SendError(f"the mail server refused {what}: {code} {detail}", retryable=400 <= code < 500)


class _Progress:
    """How far one SMTP conversation went: ``data`` once the message's content started to go to the server (the
    server answered 354 to ``DATA``: from then on a lost connection leaves its decision unknown), ``accepted`` once
    it answered 250 to the content."""

    def __init__(self) -> None:
        self.in_data = False
        self.writes = 0  # what was written during DATA: the command, then the content
        self.data = False
        self.accepted = False


def _track(server: smtplib.SMTP, progress: _Progress) -> None:
    """Follow ``server``'s ``DATA`` step (smtplib writes the command, reads 354, writes the content)."""
    original_data, original_send = server.data, server.send

    def data(msg: bytes | str) -> tuple[int, bytes]:
        progress.in_data, progress.writes = True, 0
        try:
            return original_data(msg)
        finally:
            progress.in_data = False

    def send(s: bytes | str) -> None:
        if progress.in_data:
            progress.writes += 1
            progress.data = progress.data or progress.writes >= 2
        original_send(s)
    setattr(server, "data", data)  # noqa: B010 (instance attributes, on this connection only)
    setattr(server, "send", send)  # noqa: B010


def deliver(config: SmtpSettings, mail: EmailMessage, to_addrs: Sequence[str] | None = None) -> None:
    """Hand the message to the SMTP server. 4xx and connection problems are retryable, 5xx are not.

    SMTP has no idempotency key: a connection lost or timed out once the message's content was being sent (after
    ``DATA``), before the server's answer, raises an *ambiguous* error (the server may have taken the message); a
    failure before (connecting, logging in, the envelope) or a clear answer is not ambiguous. Once the server took
    the message, an error while saying goodbye (``QUIT``) is ignored: the mail is on its way.

    ``to_addrs``: the envelope recipients (by default the ``To`` header, as one address)."""
    recipients = list(to_addrs) if to_addrs else [str(mail["To"])]
    recipient = ", ".join(recipients)
    progress = _Progress()
    refused: dict[str, tuple[int, bytes]] = {}
    try:
        if config.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        _track(server, progress)
        with server:
            if config.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.username:
                server.login(config.username, config.password or "")
            refused = server.send_message(mail, from_addr=config.from_address, to_addrs=recipients)
            progress.accepted = True
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _code_error(code, text, f"the recipient {recipient}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"SMTP login refused: {exc.smtp_code}", retryable=False) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, helo... (or a QUIT refused)
        if not progress.accepted:
            raise _code_error(exc.smtp_code, exc.smtp_error, "the message") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"the mail server does not support a needed feature: {exc}", retryable=False) from None
    except (smtplib.SMTPException, OSError) as exc:  # disconnected, timeouts, connection refused
        if progress.accepted:
            pass  # the server took the message; the goodbye failed
        elif progress.data:
            raise SendError(f"the connection to the mail server was lost while it received the message "
                            f"({type(exc).__name__}): the mail may have been sent", retryable=True,
                            ambiguous=True) from None
        else:
            raise SendError(f"could not talk to the mail server: {type(exc).__name__}: {exc}",
                            retryable=True) from None
    if refused:
        address, (code, text) = next(iter(refused.items()))
        if len(refused) < len(recipients):  # the others got it: a retry would send it to them again
            detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
            raise SendError(f"the mail server refused the recipient {address}: {code} {detail} (the other "
                            "recipients got the mail)", retryable=False)
        raise _code_error(code, text, f"the recipient {recipient}")
