"""E-mail through Compris, end to end over real protocols: the local IMAP server → the poll job → case →
agent reply → a real local SMTP server (aiosmtpd) received one threaded message → the customer's answer
(with only In-Reply-To) lands in the same thread."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from compris.config import Settings
from compris.connectors import fixture_bytes
from compris.inbox.polling import POLL_ACCOUNT, POLL_ACCOUNTS
from compris.models import ChannelAccount, Message, RawEvent
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from .imap_server import Server
from .test_email import MAILBOX, Recorder, smtp  # noqa: F401  (the SMTP fixture)


@pytest.fixture
def imap() -> Iterator[Server]:
    with Server() as server:
        yield server


def _poll(trip: RoundTrip, kind: str = POLL_ACCOUNT) -> None:
    """One poll of the account (the periodic fan-out polls each account once per minute)."""
    with trip.runtime.db.transaction() as session:
        enqueue(session, trip.runtime.publisher, workspace_id=trip.world.workspace_id, kind=kind,
                payload={"account_id": trip.account_id}, dedupe_key=None)
    trip.world.run_jobs()


def _account(trip: RoundTrip) -> ChannelAccount:
    with trip.runtime.db.transaction() as session:
        account = session.get(ChannelAccount, trip.account_id)
        assert account is not None
        return account


def test_mail_round_trip(settings: Settings, runtime: Runtime, world: World, imap: Server,
                         smtp: tuple[Recorder, int]) -> None:  # noqa: F811
    recorder, smtp_port = smtp
    trip = RoundTrip(settings, runtime, world, network="email", external_id=MAILBOX,
                     secrets={"imap_password": "imap-pass", "smtp_password": "smtp-pass"},
                     account_settings={"from_address": MAILBOX, "from_name": "Air Compris",
                                       "imap_host": "127.0.0.1", "imap_port": str(imap.port),
                                       "imap_security": "plain", "smtp_host": "127.0.0.1",
                                       "smtp_port": str(smtp_port), "smtp_security": "plain",
                                       "smtp_username": MAILBOX, "timeout": "3"})
    imap.mailbox.add(fixture_bytes("email", "plain_fr.eml"))
    _poll(trip, POLL_ACCOUNTS)  # the periodic job fans out to every polled account
    _poll(trip)  # nothing new: nothing stored twice
    inbound = trip.inbound("CAF=elodie.001@mail.example.fr")
    assert "AF1234" in inbound.text
    state = _account(trip).poll_state
    assert state == {"uidvalidity": imap.mailbox.uidvalidity, "last_uid": 1}
    with runtime.db.transaction() as session:
        assert len(list(session.scalars(select(RawEvent.id)))) == 1

    reply_id = trip.reply("CAF=elodie.001@mail.example.fr", "Bonjour Élodie,\n\nVotre remboursement est lancé.",
                          "private")
    (envelope,) = recorder.envelopes
    assert envelope.rcpt_tos == ["Elodie.Marchand@example.fr"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["In-Reply-To"] == "<CAF=elodie.001@mail.example.fr>"
    assert mail["References"] == "<CAF=elodie.001@mail.example.fr>"
    assert "remboursement est lanc" in mail.get_body().get_content()
    sent = trip.message(reply_id)
    assert sent.delivery_state == "sent"
    ours = sent.platform_message_id
    assert ours and mail["Message-ID"] == f"<{ours}>"

    # the customer answers with a client that sets only In-Reply-To (no References)
    imap.mailbox.add(
        b"From: Elodie Marchand <Elodie.Marchand@example.fr>\r\nTo: " + MAILBOX.encode() + b"\r\n"
        b"Subject: Re: Vol annule\r\nDate: Sun, 15 Mar 2026 09:00:00 +0100\r\n"
        b"Message-ID: <CAF=elodie.002@mail.example.fr>\r\nIn-Reply-To: <" + ours.encode() + b">\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nMerci beaucoup !\r\n")
    _poll(trip)
    answer = trip.inbound("CAF=elodie.002@mail.example.fr")
    assert answer.thread_id == inbound.thread_id and answer.case_id == inbound.case_id
    assert _account(trip).poll_state["last_uid"] == 2


def test_a_failing_mailbox_is_noted_on_the_account(settings: Settings, runtime: Runtime, world: World,
                                                   imap: Server) -> None:
    trip = RoundTrip(settings, runtime, world, network="email", external_id=MAILBOX,
                     secrets={"imap_password": "wrong-password-123"},
                     account_settings={"imap_host": "127.0.0.1", "imap_port": str(imap.port),
                                       "imap_security": "plain", "from_address": MAILBOX, "timeout": "3"})
    imap.mailbox.add(fixture_bytes("email", "plain_fr.eml"))
    _poll(trip)
    account = _account(trip)
    assert account.poll_error and "wrong-password-123" not in account.poll_error
    assert account.poll_state == {}
    with runtime.db.transaction() as session:
        assert session.scalar(select(Message.id)) is None


def test_idle_wait_is_bounded_and_tolerates_bad_settings() -> None:
    from compris.inbox.polling import MAX_IDLE_SECONDS, idle_wait

    assert idle_wait({}) == 0.0
    assert idle_wait({"idle_seconds": "25"}) == 25.0
    assert idle_wait({"idle_seconds": 600}) == MAX_IDLE_SECONDS
    assert idle_wait({"idle_seconds": -3}) == 0.0
    assert idle_wait({"idle_seconds": "soon"}) == 0.0
