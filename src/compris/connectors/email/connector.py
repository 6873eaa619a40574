"""The e-mail connector: a mailbox read over IMAP (poll + IDLE), replies sent over SMTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    AttachmentRules,
    Connector,
    FetchedFile,
    FetchError,
    InboundFile,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    PolledEvent,
    PollResult,
    SendError,
    SendResult,
    Visibility,
)
from compris.connectors.choices import refuse_public
from compris.connectors.email import imap, mime, smtp
from compris.kit import media

DEFAULT_INITIAL_FETCH = 50
DEFAULT_MAX_PER_POLL = 200
#: real MIME attachments (the bytes go in the mail); many providers refuse mails over 25 MB, and base64 adds a
#: third: 18 MB of files together at most
ATTACHMENTS = AttachmentRules(mime_types=media.ALL, max_count=10, max_total_bytes=18 * 1024 * 1024,
                              public_url=False)


class EmailConnector(Connector):
    network: ClassVar[str] = "email"
    display_name: ClassVar[str] = "E-mail"
    limits: ClassVar[Limits] = Limits(private_attachments=ATTACHMENTS,
                                      public_attachments_reason="e-mail has no public replies")
    #: SMTP has no idempotency key (a server takes the same message twice), and Compris reads only the account's
    #: incoming folder, not a Sent folder (many servers file nothing there for mail handed over by SMTP): a reply
    #: whose send was interrupted after its content went out is marked uncertain for a person
    supports_idempotency: ClassVar[bool] = False
    can_find_sent: ClassVar[bool] = False
    secret_fields: ClassVar[tuple[str, ...]] = ("imap_password", "smtp_password")
    setting_fields: ClassVar[tuple[str, ...]] = (
        "from_address", "from_name",
        "imap_host", "imap_port", "imap_security", "imap_username", "mailbox",
        "smtp_host", "smtp_port", "smtp_security", "smtp_username",
        "message_id_domain", "initial_fetch_limit", "max_per_poll", "idle_seconds",
    )
    supports_polling: ClassVar[bool] = True
    optional_fields: ClassVar[tuple[str, ...]] = ("smtp_password",)
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Mailbox address",
        "imap_password": "IMAP password", "smtp_password": "SMTP password",
        "from_address": "From address", "from_name": "From name",
        "imap_host": "IMAP server", "imap_port": "IMAP port", "imap_security": "IMAP security",
        "imap_username": "IMAP user name", "mailbox": "Folder",
        "smtp_host": "SMTP server", "smtp_port": "SMTP port", "smtp_security": "SMTP security",
        "smtp_username": "SMTP user name", "message_id_domain": "Message-ID domain",
        "initial_fetch_limit": "Messages taken at first", "max_per_poll": "Messages per poll",
        "idle_seconds": "Wait for new mail (IDLE)",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The address customers write to, e.g. care@example.com.",
        "imap_password": "Prefer an app password made for Compris.",
        "smtp_password": "Leave empty when the SMTP server needs no login.",
        "from_address": "The sender of replies (usually the mailbox address).",
        "imap_security": "ssl (port 993), starttls (143) or plain (tests only).",
        "smtp_security": "ssl (port 465), starttls (587) or plain (tests only).",
        "imap_username": "Defaults to the From address.",
        "mailbox": "Defaults to INBOX.",
        "message_id_domain": "Defaults to the domain of the From address.",
        "initial_fetch_limit": "On the first poll only the newest messages are taken (default 50).",
        "max_per_poll": "Default 200; the rest waits for the next poll (every minute).",
        "idle_seconds": "0-50. When the server supports IMAP IDLE, each poll waits up to this long for new mail, "
        "so mail arrives within seconds instead of at the next minute (it keeps one worker busy meanwhile).",
    }

    # --- inbound -------------------------------------------------------------------------
    #: a sender's id is their e-mail address
    identity_reach: ClassVar[str | None] = "email"

    def poll(self, account: AccountContext, state: Mapping[str, Any], *, wait: float = 0.0,
             interrupted: Callable[[], bool] | None = None, client: httpx.Client | None = None) -> PollResult:
        """New mail since ``state`` (``{"uidvalidity", "last_uid"}``); event ids are ``uidvalidity:uid``.

        On the first poll, or when the server changed UIDVALIDITY (the mailbox was rebuilt, old UIDs
        mean nothing), only the newest ``initial_fetch_limit`` messages are taken. With ``wait`` > 0 and
        nothing new, the connection IDLEs up to ``wait`` seconds (at most 29 minutes) for new mail, or until
        ``interrupted()`` answers True (asked every second).
        """
        config = imap.ImapSettings.from_account(account.settings, account.secrets)
        initial = int(account.settings.get("initial_fetch_limit") or DEFAULT_INITIAL_FETCH)
        limit = int(account.settings.get("max_per_poll") or DEFAULT_MAX_PER_POLL)
        with imap.session(config) as conn:
            uidvalidity, _ = imap.select_mailbox(conn, config.mailbox)
            known = state.get("uidvalidity") == uidvalidity and isinstance(state.get("last_uid"), int)
            after: int | None = int(state["last_uid"]) if known else None
            uids = imap.search_uids(conn, after)
            if not uids and wait > 0 and imap.supports_idle(conn) and imap.idle(conn, wait, interrupted):
                uids = imap.search_uids(conn, after)
            if after is None:
                highest = uids[-1] if uids else 0
                uids = uids[-initial:] if initial > 0 else []
                if not uids:
                    return PollResult(events=(), state={"uidvalidity": uidvalidity, "last_uid": highest})
            uids = uids[:limit]
            fetched = imap.fetch_raw(conn, uids)
        last = max([after or 0, *uids])
        events = tuple(PolledEvent(event_id=f"{uidvalidity}:{uid}", body=raw) for uid, raw in fetched)
        return PollResult(events=events, state={"uidvalidity": uidvalidity, "last_uid": last})

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        own = [str(account.settings.get("from_address") or ""), account.external_id]
        return ParsedDelivery(messages=(mime.parse_email(body, [a for a in own if "@" in a]),))

    # --- outbound ------------------------------------------------------------------------
    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        """Send over SMTP (``client`` is unused). ``extra`` may carry ``subject``, ``references`` and
        ``reply_to_address`` from the message being answered (its ``InboundMessage.extra``)."""
        if message.visibility is Visibility.NOTE:
            raise SendError("internal notes are never e-mailed", retryable=False)
        refuse_public(message, self.display_name)
        config = smtp.SmtpSettings.from_account(account.settings, account.secrets)
        mail = smtp.build_reply(config, message, datetime.now(UTC))
        smtp.deliver(config, mail)
        return SendResult(platform_message_id=str(mail["Message-ID"]).strip("<>"), thread_key=message.thread_key)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        config = imap.ImapSettings.from_account(account.settings, account.secrets)
        with imap.session(config) as conn:
            uidvalidity, count = imap.select_mailbox(conn, config.mailbox)
            idle = "with IDLE" if imap.supports_idle(conn) else "without IDLE (polling)"
        return f"mailbox {config.mailbox} on {config.host}: {count} messages, UIDVALIDITY {uidvalidity}, {idle}"

    # --- inbound attachments: the files are the MIME parts of the message itself (no download) -----------------
    def fetchable(self, file: InboundFile) -> bool:
        return True  # every attachment of an e-mail is a MIME part

    def fetch_attachment(self, account: AccountContext, file: InboundFile, client: httpx.Client, *,
                         max_bytes: int) -> FetchedFile:
        if file.raw is None:
            raise FetchError("the e-mail is no longer kept", code="unavailable")
        part = mime.attachment_part(file.raw, file.index)
        if part is None or part.data is None:
            raise FetchError("the e-mail has no such attachment", code="not_found")
        if len(part.data) > max_bytes:
            raise FetchError("the file is larger than the limit", code="too_large")
        return FetchedFile(data=part.data, mime_type=part.mime_type, name=part.name)
