"""Shared helpers of the partner-side tests: a case, a partner, an escalation made the way the escalation core's
``escalate`` action makes one (partner row, escalation row, the brief as the first exchange, the case waiting on
the partner, the timeline row and ``EscalationCreated``), the workspace's outgoing mail settings, and a real local
SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import secrets
import socket
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope
from aiosmtpd.smtp import Session as SmtpSession

from compris import bus, timeline
from compris.connectors.base import Author, InboundMessage, Visibility
from compris.events import EscalationCreated
from compris.inbox.actions import record_inbound
from compris.inbox.actions.cases import change_status
from compris.live import Publisher
from compris.models import Case, CaseStatus, ChannelAccount, Escalation, Exchange, MailSettings, Message, Partner
from compris.runtime import Runtime
from tests.conftest import World

HOTEL = "reservations@hotel-lumiere.example"


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def customer_message(runtime: Runtime, world: World, text: str, *, author: str = "cust-9", kind: str = "post",
                     thread: str | None = None) -> tuple[int, int]:
    """A customer's message on the sandbox network, recorded like the inbound job does: (case id, message id)."""
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, world.account.id)
        assert account is not None
        mid = f"m-{secrets.token_hex(5)}"
        message = record_inbound(session, Publisher.outside_server(session), account, InboundMessage(
            platform_message_id=mid, thread_key=thread or (f"dm-{author}" if kind == "dm" else f"post-{mid}"),
            visibility=Visibility.PRIVATE if kind == "dm" else Visibility.PUBLIC,
            author=Author(platform_user_id=author, handle=f"@{author}", name=author.title()), text=text,
            created_at=datetime.now(UTC)))
        assert message is not None
        return message.case_id, message.id


def make_partner(runtime: Runtime, world: World, *, language: str = "fr", emails: list[str] | None = None,
                 link_days: int = 14, name: str = "Hôtel Lumière") -> int:
    with runtime.db.transaction() as session:
        partner = Partner(workspace_id=world.workspace_id, name=name, emails=emails or [HOTEL], language=language,
                          link_days=link_days)
        session.add(partner)
        session.flush()
        return partner.id


def escalate(runtime: Runtime, world: World, case_id: int, partner_id: int, *, brief: str,
             message_ids: list[int] | None = None, upload_ids: list[int] | None = None, personal_data: bool = False,
             due_in: timedelta = timedelta(hours=24)) -> int:
    """What the escalation core's ``escalate`` action does, for the partner-side tests."""
    with runtime.db.transaction() as session:
        publisher = Publisher.outside_server(session)
        case = session.get(Case, case_id)
        partner = session.get(Partner, partner_id)
        assert case is not None and partner is not None
        escalation = Escalation(workspace_id=case.workspace_id, case_id=case.id, partner_id=partner.id,
                                created_by_id=world.agent.id, brief=brief, language=partner.language,
                                shared={"message_ids": message_ids or [], "upload_ids": upload_ids or [],
                                        "personal_data": personal_data},
                                due_at=datetime.now(UTC) + due_in, reply_token=secrets.token_urlsafe(16),
                                previous_case_status=case.status)
        session.add(escalation)
        session.flush()
        session.add(Exchange(workspace_id=case.workspace_id, escalation_id=escalation.id, direction="to_partner",
                             kind="brief", text=brief, upload_ids=upload_ids or [], author_user_id=world.agent.id))
        change_status(session, publisher, case, CaseStatus.WAITING_PARTNER, actor_user_id=world.agent.id,
                      reason="escalated")
        timeline.escalated(session, case, escalation_id=escalation.id, partner=partner.name,
                           actor_user_id=world.agent.id)
        bus.emit(session, publisher, EscalationCreated(workspace_id=case.workspace_id, case_id=case.id,
                                                       actor_user_id=world.agent.id, escalation_id=escalation.id,
                                                       partner_id=partner.id,
                                                       due_at=escalation.due_at.isoformat() if escalation.due_at
                                                       else None))
        return escalation.id


def mail_settings(runtime: Runtime, world: World, smtp_port: int, *,
                  reply_address: str = "care+{token}@acme.example") -> None:
    with runtime.db.transaction() as session:
        session.add(MailSettings(workspace_id=world.workspace_id, host="127.0.0.1", port=smtp_port,
                                 security="plain", from_address="care@acme.example", from_name="Acme Care",
                                 reply_address=reply_address))


def messages_of(runtime: Runtime, case_id: int) -> list[Message]:
    from sqlalchemy import select

    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.id)))


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTPServer, session: SmtpSession, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def mails(self) -> list[EmailMessage]:
        found = []
        for envelope in self.envelopes:
            content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
            mail = message_from_bytes(content, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            found.append(mail)
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (an ephemeral port), keeping every mail it receives."""
    mailbox, port = Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    content: Any = part.get_content()
    return str(content)


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    content: Any = part.get_content()
    return str(content)
