from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from hypothesis import given, settings
from hypothesis import strategies as st

from compris.connectors import fixture_bytes
from compris.connectors.base import (
    AccountContext,
    Author,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.email import EmailConnector
from compris.connectors.email.mime import html_to_text
from compris.connectors.email.smtp import message_id_for

from .imap_server import Server

CONNECTOR = EmailConnector()
MAILBOX = "care@aircompris.example"
FIXTURES = ["plain_fr.eml", "html_only.eml", "reply_with_attachment.eml", "windows1252.eml",
            "unknown_charset.eml", "auto_reply.eml"]


def account(imap_port: int = 0, smtp_port: int = 0, **settings_: Any) -> AccountContext:
    return AccountContext(
        account_id=9, workspace_id=1, network="email", external_id=MAILBOX,
        settings={"from_address": MAILBOX, "from_name": "Air Compris Service Client",
                  "imap_host": "127.0.0.1", "imap_port": imap_port, "imap_security": "plain",
                  "imap_username": MAILBOX, "smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                  "smtp_security": "plain", "timeout": 3, **settings_},
        secrets={"imap_password": "imap-pass", "smtp_password": "smtp-pass"})


def parse(name: str) -> Any:
    (message,) = CONNECTOR.parse(account(), fixture_bytes("email", name)).messages
    return message


# --- MIME -------------------------------------------------------------------------------------

def test_plain_french_with_encoded_headers() -> None:
    message = parse("plain_fr.eml")
    assert message.platform_message_id == "CAF=elodie.001@mail.example.fr"
    assert message.thread_key == "CAF=elodie.001@mail.example.fr"  # a new thread: its own root
    assert message.thread_title == "Vol annulé — remboursement en attente"
    assert message.author.platform_user_id == "elodie.marchand@example.fr"
    assert message.author.name == "Élodie Marchand"
    assert "a été annulé" in message.text and "😡" in message.text
    assert message.created_at == datetime(2026, 3, 14, 9, 15, tzinfo=UTC)
    assert message.visibility is Visibility.PRIVATE and not message.is_own
    assert message.extra["automatic"] is False and message.extra["reply_to_address"] == "Elodie.Marchand@example.fr"


def test_html_only_is_stripped_safely() -> None:
    message = parse("html_only.eml")
    assert message.text == ("Dear team,\n\nMy bag never arrived in Nice & nobody answers.\nFile: NCE-88213\n\n"
                            "- Flight AF7700\n\n- Seat 12C\n\nCafé receipt attached > 40€")
    assert "alert" not in message.text and "color" not in message.text and "ignored" not in message.text
    assert message.extra["body_source"] == "html"
    assert message.created_at == datetime(2026, 3, 14, 11, 0, tzinfo=UTC)


def test_reply_threading_and_attachments() -> None:
    message = parse("reply_with_attachment.eml")
    assert message.thread_key == "CAF=elodie.001@mail.example.fr"  # the root of References
    assert message.reply_to_platform_id == "compris.aaaa@aircompris.example"
    assert message.extra["references"] == ["CAF=elodie.001@mail.example.fr", "compris.aaaa@aircompris.example"]
    assert message.text.startswith("Voici la facture demandée.")  # text/plain preferred over HTML
    assert message.extra["reply_to_address"] == "elodie.perso@example.org"
    pdf, image = message.attachments
    assert (pdf.kind, pdf.name, pdf.mime_type, pdf.size) == ("file", "facture_été.pdf", "application/pdf", 240)
    assert (image.kind, image.name) == ("image", "photo.png")


def test_windows_1252_and_unknown_charsets() -> None:
    zoe = parse("windows1252.eml")
    assert zoe.text == "Ma valise est arrivée abîmée – coût 120 €."
    assert zoe.thread_title == "Réclamation – bagage"
    assert parse("unknown_charset.eml").text == "Hello there"


def test_auto_replies_are_flagged() -> None:
    assert parse("auto_reply.eml").extra["automatic"] is True


def test_our_own_mail_is_own() -> None:
    raw = fixture_bytes("email", "auto_reply.eml").replace(b"From: Sam Okafor <sam@example.co.uk>",
                                                             b"From: Air Compris <CARE@aircompris.example>")
    (message,) = CONNECTOR.parse(account(), raw).messages
    assert message.is_own


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"Subject: no sender\r\n\r\nhello", b"\x00\xff" * 40])
def test_not_an_email_is_unprocessable(raw: bytes) -> None:
    with pytest.raises(UnprocessableEvent):
        CONNECTOR.parse(account(), raw)


def test_html_to_text_keeps_text_not_markup() -> None:
    assert html_to_text("<div>a<script>x</script><b>b</b></div><p>&lt;c&gt;</p>") == "ab\n\n<c>"


@given(raw=st.binary(max_size=600))
@settings(max_examples=200, deadline=None)
def test_random_bytes_parse_or_are_unprocessable(raw: bytes) -> None:
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), raw)


@given(name=st.sampled_from(FIXTURES), position=st.integers(0, 2000), junk=st.binary(min_size=1, max_size=40),
       cut=st.booleans())
@settings(max_examples=200, deadline=None)
def test_mutated_mail_parses_or_is_unprocessable(name: str, position: int, junk: bytes, cut: bool) -> None:
    raw = fixture_bytes("email", name)
    position %= len(raw)
    mutated = raw[:position] + junk + (b"" if cut else raw[position:])
    with contextlib.suppress(UnprocessableEvent):
        CONNECTOR.parse(account(), mutated)


# --- IMAP -------------------------------------------------------------------------------------

@pytest.fixture
def imap() -> Iterator[Server]:
    with Server() as server:
        yield server


def test_first_poll_takes_the_newest_and_then_only_new_mail(imap: Server) -> None:
    for name in FIXTURES[:4]:
        imap.mailbox.add(fixture_bytes("email", name))
    acct = account(imap.port, initial_fetch_limit=3)
    first = CONNECTOR.poll(acct, {})
    assert [e.event_id for e in first.events] == ["1700000001:2", "1700000001:3", "1700000001:4"]
    assert first.events[0].body == fixture_bytes("email", "html_only.eml")
    assert first.state == {"uidvalidity": 1700000001, "last_uid": 4}
    assert CONNECTOR.poll(acct, first.state).events == ()
    imap.mailbox.add(fixture_bytes("email", "auto_reply.eml"))
    second = CONNECTOR.poll(acct, first.state)
    assert [e.event_id for e in second.events] == ["1700000001:5"]
    assert second.state["last_uid"] == 5
    (message,) = CONNECTOR.parse(acct, second.events[0].body).messages
    assert message.platform_message_id == "auto.1@example.co.uk"
    assert any("EXAMINE" in c for c in imap.commands)  # read-only: flags are never changed
    assert any("BODY.PEEK[]" in c for c in imap.commands)


def test_uidvalidity_change_starts_over(imap: Server) -> None:
    imap.mailbox.add(fixture_bytes("email", "plain_fr.eml"))
    imap.mailbox.add(fixture_bytes("email", "html_only.eml"))
    acct = account(imap.port)
    state = CONNECTOR.poll(acct, {}).state
    imap.mailbox.reset(1700000099)
    again = CONNECTOR.poll(acct, state)
    assert [e.event_id for e in again.events] == ["1700000099:1", "1700000099:2"]
    assert again.state == {"uidvalidity": 1700000099, "last_uid": 2}


def test_max_per_poll_leaves_the_rest_for_next_time(imap: Server) -> None:
    acct = account(imap.port, max_per_poll=2)
    state = CONNECTOR.poll(acct, {}).state  # empty mailbox
    assert state == {"uidvalidity": 1700000001, "last_uid": 0}
    for name in FIXTURES[:3]:
        imap.mailbox.add(fixture_bytes("email", name))
    first = CONNECTOR.poll(acct, state)
    second = CONNECTOR.poll(acct, first.state)
    assert [e.event_id for e in first.events + second.events] == [f"1700000001:{i}" for i in (1, 2, 3)]


def test_idle_returns_as_soon_as_mail_arrives(imap: Server) -> None:
    acct = account(imap.port)
    state = CONNECTOR.poll(acct, {}).state
    timer = threading.Timer(0.3, imap.mailbox.add, args=(fixture_bytes("email", "plain_fr.eml"),))
    timer.start()
    started = time.monotonic()
    result = CONNECTOR.poll(acct, state, wait=10)
    assert time.monotonic() - started < 3
    assert [e.event_id for e in result.events] == ["1700000001:1"]
    assert any(c.endswith(" IDLE") for c in imap.commands) and "DONE" in imap.commands


def test_idle_times_out_quietly(imap: Server) -> None:
    acct = account(imap.port)
    state = CONNECTOR.poll(acct, {}).state
    started = time.monotonic()
    assert CONNECTOR.poll(acct, state, wait=0.3).events == ()
    assert 0.25 < time.monotonic() - started < 3


def test_without_idle_support_poll_does_not_wait() -> None:
    with Server(idle=False) as plain:
        acct = account(plain.port)
        state = CONNECTOR.poll(acct, {}).state
        started = time.monotonic()
        assert CONNECTOR.poll(acct, state, wait=5).events == ()
        assert time.monotonic() - started < 2


def test_wrong_password_is_a_connector_error(imap: Server) -> None:
    bad = account(imap.port)
    bad = AccountContext(bad.account_id, bad.workspace_id, bad.network, bad.external_id, bad.settings,
                         {"imap_password": "nope"})
    with pytest.raises(ConnectorError) as caught:
        CONNECTOR.poll(bad, {})
    assert "AUTHENTICATIONFAILED" in str(caught.value) and "nope" not in str(caught.value)


def test_check_connection(imap: Server, http: httpx.Client) -> None:
    imap.mailbox.add(fixture_bytes("email", "plain_fr.eml"))
    assert CONNECTOR.check_connection(account(imap.port), http) == \
        "mailbox INBOX on 127.0.0.1: 1 messages, UIDVALIDITY 1700000001, with IDLE"


# --- SMTP -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.answer: str | None = None  # e.g. "451 4.3.0 Try again later"

    async def handle_RCPT(self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address.endswith("@nowhere.example"):
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.answer:
            return self.answer
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued"


def authenticator(server: SMTPServer, session: Session, envelope: Envelope, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == MAILBOX.encode() and \
        auth_data.password == b"smtp-pass"
    return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 535 on failure


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def reply(**extra: Any) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="outbox-77", text="Bonjour Élodie,\n\nNous avons lancé votre remboursement. 🙏\n",
        visibility=Visibility.PRIVATE, thread_key="CAF=elodie.001@mail.example.fr",
        reply_to_platform_id="CAF=elodie.003@mail.example.fr",
        recipient=Author(platform_user_id="elodie.marchand@example.fr", handle="elodie.marchand@example.fr"),
        extra={"subject": "Re: Vol annulé", "reply_to_address": "elodie.perso@example.org",
               "references": ["CAF=elodie.001@mail.example.fr", "compris.aaaa@aircompris.example"], **extra})


def test_reply_over_smtp_is_threaded(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    result = CONNECTOR.send(account(smtp_port=port), reply(), http)
    (envelope,) = recorder.envelopes
    assert envelope.mail_from == MAILBOX and envelope.rcpt_tos == ["elodie.perso@example.org"]
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == "Re: Vol annulé"
    assert mail["In-Reply-To"] == "<CAF=elodie.003@mail.example.fr>"
    assert mail["References"] == ("<CAF=elodie.001@mail.example.fr> <compris.aaaa@aircompris.example> "
                                  "<CAF=elodie.003@mail.example.fr>")
    assert mail["From"] == "Air Compris Service Client <care@aircompris.example>"
    assert mail["Message-ID"].strip() == f"<{message_id_for('outbox-77', 'aircompris.example')}>"
    body = mail.get_body()
    assert body is not None and "remboursement. 🙏" in body.get_content()
    assert result.platform_message_id == message_id_for("outbox-77", "aircompris.example")
    # the reply, read back by the connector, is recognised as ours and in the same thread
    (ours,) = CONNECTOR.parse(account(), envelope.content).messages
    assert ours.is_own and ours.thread_key == "CAF=elodie.001@mail.example.fr"


def test_a_retried_send_has_the_same_message_id(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    first = CONNECTOR.send(account(smtp_port=port), reply(), http)
    second = CONNECTOR.send(account(smtp_port=port), reply(), http)
    assert first == second
    ids = {message_from_bytes(e.content)["Message-ID"] for e in recorder.envelopes if isinstance(e.content, bytes)}
    assert len(ids) == 1


def test_smtp_login(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    CONNECTOR.send(account(smtp_port=port, smtp_username=MAILBOX), reply(), http)
    assert len(recorder.envelopes) == 1
    wrong = account(smtp_port=port, smtp_username=MAILBOX)
    wrong = AccountContext(9, 1, "email", MAILBOX, wrong.settings, {"smtp_password": "bad"})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(wrong, reply(), http)
    assert not caught.value.retryable and "bad" not in caught.value.reason


def test_temporary_refusal_is_retryable(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    recorder, port = smtp
    recorder.answer = "451 4.3.0 Try again later"
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(smtp_port=port), reply(), http)
    assert caught.value.retryable and "451" in caught.value.reason


def test_unknown_recipient_is_final(smtp: tuple[Recorder, int], http: httpx.Client) -> None:
    _, port = smtp
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(smtp_port=port), reply(reply_to_address="ghost@nowhere.example"), http)
    assert not caught.value.retryable and "User unknown" in caught.value.reason


def test_unreachable_server_is_retryable(http: httpx.Client) -> None:
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(smtp_port=free_port()), reply(), http)
    assert caught.value.retryable


def test_notes_are_never_mailed(http: httpx.Client) -> None:
    note = OutboundMessage("k", "internal", Visibility.NOTE, "t", None, None)
    with pytest.raises(SendError):
        CONNECTOR.send(account(), note, http)
