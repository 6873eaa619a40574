"""A partner answers by replying to the e-mail: the mail read by the e-mail channel (the connector's parse →
``record_inbound``) is recognised by its tokenised address or its thread's Message-IDs, claimed (nothing in the
inbox) and recorded as the partner's answer on the escalation, quoted text stripped, attachments stored."""

from __future__ import annotations

from sqlalchemy import select

from compris.channels.accounts import bare_context
from compris.channels.actions import create_account
from compris.connectors import fixture_bytes, registry
from compris.escalation.actions.answers import escalation_for_mail, reply_token_pattern, strip_quoted
from compris.inbox.actions import record_inbound
from compris.live import Publisher
from compris.models import CaseEvent, ChannelAccount, Escalation, Exchange, MailSettings, Message, Upload
from compris.runtime import Runtime
from tests.conftest import SECRET, World
from tests.escalation.partner_side import PDF, customer_message, escalate, make_partner

TOKEN = "TOKENpartner0001"
ROOT = "compris.escalation.1.brief.1796000000000@acme.example"


def _mailbox(runtime: Runtime, world: World) -> int:
    with runtime.db.transaction() as session:
        session.add(MailSettings(workspace_id=world.workspace_id, from_address="care@acme.example",
                                 reply_address="care+{token}@acme.example"))
        account = create_account(session, SECRET, workspace_id=world.workspace_id, network="email",
                                 name="Care mailbox", external_id="care@acme.example",
                                 settings={"from_address": "care@acme.example", "imap_host": "127.0.0.1",
                                           "smtp_host": "127.0.0.1"},
                                 secrets={"imap_password": "x", "smtp_password": "y"})
        return account.id


def _escalation(runtime: Runtime, world: World, *, token: str = TOKEN, root: str | None = ROOT) -> tuple[int, int]:
    case_id, message_id = customer_message(runtime, world, "Chambre 412 sale")
    partner_id = make_partner(runtime, world, language="fr")
    escalation_id = escalate(runtime, world, case_id, partner_id, brief="Merci de vérifier la chambre 412.",
                             message_ids=[message_id])
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        escalation.reply_token, escalation.mail_message_id = token, root
    return case_id, escalation_id


def _receive(runtime: Runtime, account_id: int, raw: bytes) -> Message | None:
    """What the inbound job does with one polled mail: the connector's parse, then ``record_inbound``."""
    with runtime.db.transaction() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        (inbound,) = registry.get("email").parse(bare_context(account), raw).messages
        message = record_inbound(session, Publisher.outside_server(session), account, inbound)
        return message


def _email_messages(runtime: Runtime, account_id: int) -> list[Message]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.channel_account_id == account_id)))


def test_a_reply_to_the_tokenised_address_is_the_partners_answer(runtime: Runtime, world: World) -> None:
    # given an escalation whose mails carry Reply-To care+TOKEN@acme.example, and the care mailbox as a channel
    account_id = _mailbox(runtime, world)
    case_id, escalation_id = _escalation(runtime, world)

    # when the hotel's reply (quoted brief, a PDF invoice) is read from the mailbox
    assert _receive(runtime, account_id, fixture_bytes("email", "partner_answer.eml")) is None
    world.run_jobs()  # the attachment is stored by its job

    # then nothing is in the inbox, and the answer is on the escalation
    assert _email_messages(runtime, account_id) == []
    with runtime.db.transaction() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.direction == "from_partner")).one()
        assert exchange.via == "email" and exchange.kind == "answer"
        assert exchange.author_email == "reservations@hotel-lumiere.example"
        assert exchange.mail_message_id == "CAH=lumiere.77@mail.hotel-lumiere.example"
        assert "La chambre 412 a été refaite" in exchange.text and "Réception" in exchange.text
        assert "a écrit" not in exchange.text and ">" not in exchange.text and "Le lun." not in exchange.text
        (upload_id,) = exchange.upload_ids
        upload = session.get(Upload, upload_id)
        assert upload is not None and upload.name == "facture-412.pdf" and upload.mime_type == "application/pdf"
        assert upload.held_by == "escalation"
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == "answered" and escalation.partner_outcome == "answer"
        answered = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.kind == "escalation_answered")).one()
        assert answered.data["via"] == "email" and "unknown_sender" not in answered.data
    # read again (the poll ran twice): recorded once
    assert _receive(runtime, account_id, fixture_bytes("email", "partner_answer.eml")) is None
    with runtime.db.transaction() as session:
        assert len(list(session.scalars(select(Exchange).where(Exchange.direction == "from_partner")))) == 1


def test_a_reply_found_by_its_thread_from_an_unknown_sender(runtime: Runtime, world: World) -> None:
    account_id = _mailbox(runtime, world)
    case_id, escalation_id = _escalation(runtime, world, token="someOtherToken99")
    assert _receive(runtime, account_id, fixture_bytes("email", "partner_answer_thread_only.eml")) is None
    assert _email_messages(runtime, account_id) == []
    with runtime.db.transaction() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.direction == "from_partner")).one()
        assert exchange.text == "We moved the guest to room 415."
        assert exchange.author_email == "night@hotel-lumiere.example"
        answered = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.kind == "escalation_answered")).one()
        assert answered.data["unknown_sender"] is True
        assert answered.data["author_email"] == "night@hotel-lumiere.example"
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == "answered"


def test_other_mails_stay_in_the_inbox(runtime: Runtime, world: World) -> None:
    account_id = _mailbox(runtime, world)
    _, escalation_id = _escalation(runtime, world)
    # a customer's mail: not an escalation's
    assert _receive(runtime, account_id, fixture_bytes("email", "plain_fr.eml")) is not None
    # a partner's answer about a closed escalation: left to the inbox, where an agent sees it
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        escalation.status = "closed"
    assert _receive(runtime, account_id, fixture_bytes("email", "partner_answer.eml")) is not None
    with runtime.db.transaction() as session:
        assert list(session.scalars(select(Exchange).where(Exchange.direction == "from_partner"))) == []


def test_an_out_of_office_to_the_token_is_dropped(runtime: Runtime, world: World) -> None:
    account_id = _mailbox(runtime, world)
    _, escalation_id = _escalation(runtime, world)
    raw = (b"From: reservations@hotel-lumiere.example\r\nTo: care+" + TOKEN.encode() + b"@acme.example\r\n"
           b"Subject: Absence\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo.1@hotel-lumiere.example>\r\n"
           b"\r\nBack on Monday.\r\n")
    assert _receive(runtime, account_id, raw) is None
    assert _email_messages(runtime, account_id) == []
    with runtime.db.transaction() as session:
        assert list(session.scalars(select(Exchange).where(Exchange.direction == "from_partner"))) == []
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None and escalation.status == "open"


def test_the_connector_carries_recipients_threading_and_attachment_bytes() -> None:
    from compris.connectors.base import AccountContext

    ctx = AccountContext(account_id=1, workspace_id=1, network="email", external_id="care@acme.example",
                         settings={"from_address": "care@acme.example"})
    (inbound,) = registry.get("email").parse(ctx, fixture_bytes("email", "partner_answer.eml")).messages
    assert inbound.extra["to"] == [f"care+{TOKEN}@acme.example"]
    assert inbound.extra["delivered_to"] == [f"care+{TOKEN}@acme.example"]
    assert inbound.extra["in_reply_to"] == ROOT and inbound.extra["references"] == [ROOT]
    (attachment,) = inbound.attachments
    assert attachment.data == PDF and attachment.size == len(PDF)


def test_finding_the_escalation_and_stripping_quotes(runtime: Runtime, world: World) -> None:
    _, escalation_id = _escalation(runtime, world)
    pattern = reply_token_pattern("care+{token}@acme.example")
    assert pattern is not None and pattern.search(f"Care+{TOKEN}@ACME.example")
    plain = reply_token_pattern("care@acme.example")
    assert plain is not None and plain.search(f"care+{TOKEN}@acme.example")
    with runtime.db.transaction() as session:
        found = escalation_for_mail(session, world.workspace_id, reply_address="care+{token}@acme.example",
                                    addresses=[f"care+{TOKEN}@acme.example"], message_ids=[])
        assert found is not None and found.id == escalation_id
        assert escalation_for_mail(session, world.workspace_id + 1, reply_address="care+{token}@acme.example",
                                   addresses=[f"care+{TOKEN}@acme.example"], message_ids=[ROOT]) is None
        assert escalation_for_mail(session, world.workspace_id, reply_address="",
                                   addresses=["care@acme.example"], message_ids=[f"<{ROOT}>"]) is not None
    assert strip_quoted("Done.\n\nOn Mon, 7 Dec 2026, Acme wrote:\n> old") == "Done."
    assert strip_quoted("Fait.\n-- \nJean\nRéception") == "Fait."
    assert strip_quoted("Top\n> quoted\nbottom answer") == "Top\nbottom answer"
    assert strip_quoted("> only quoted") == "> only quoted"  # nothing new: keep what was sent
