"""The partner's e-mails: in their language, plain text and escaped HTML, the due time in their calendar's zone,
what was shared (masked as chosen) with the shared files attached, the signed link, the tokenised Reply-To and the
thread's headers — sent through a real local SMTP server. Files shared with a partner are never purged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from compris import bus
from compris.escalation import links
from compris.events import EscalationFollowedUp, EscalationReopened
from compris.kit.clock import now
from compris.live import Publisher
from compris.models import BusinessHours, CaseEvent, Escalation, Exchange, OutgoingMail, Partner, Upload
from compris.runtime import Runtime
from compris.uploads import actions as upload_actions
from tests.conftest import SECRET, World
from tests.escalation.partner_side import (
    Mailbox,
    customer_message,
    escalate,
    html_of,
    mail_settings,
    make_partner,
    png,
    smtp_server,
    text_of,
)

__all__ = ["smtp_server"]


def _agent_upload(runtime: Runtime, world: World, data: bytes, name: str) -> int:
    with runtime.db.transaction() as session:
        from compris.models import User

        agent = session.get(User, world.agent.id)
        assert agent is not None
        upload = upload_actions.store_upload(session, runtime.settings.data_dir, actor=agent, data=data, name=name,
                                             max_bytes=runtime.settings.max_upload_bytes)
        return upload.id


def test_the_brief_in_french_with_what_was_shared(runtime: Runtime, world: World,
                                                  smtp_server: tuple[Mailbox, int]) -> None:
    # given a French hotel on a Paris calendar, a customer's message with an e-mail address, a shared photo
    mailbox, port = smtp_server
    mail_settings(runtime, world, port)
    case_id, message_id = customer_message(runtime, world, "Ma réservation <b>ABC123</b> : écrivez à zoe@example.org")
    partner_id = make_partner(runtime, world, language="fr")
    with runtime.db.transaction() as session:
        hours = BusinessHours(workspace_id=world.workspace_id, name="Paris", timezone="Europe/Paris", hours={})
        session.add(hours)
        session.flush()
        partner = session.get(Partner, partner_id)
        assert partner is not None
        partner.business_hours_id = hours.id
    photo = _agent_upload(runtime, world, png(), "chambre.png")

    # when the agent escalates, and the jobs run (escalation.mail, then mail.send over SMTP)
    escalation_id = escalate(runtime, world, case_id, partner_id, brief='Merci de vérifier <script>x</script> & co',
                             message_ids=[message_id], upload_ids=[photo])
    world.run_jobs()

    # then one mail reached the server, in French, with the link, the Reply-To and the file
    (mail,) = mailbox.mails()
    with runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        outgoing = session.scalars(select(OutgoingMail)).one()
        assert outgoing.state == "sent" and outgoing.purpose == "escalation_brief"
        assert escalation.mail_message_id == outgoing.message_id
        token = escalation.reply_token
        number = escalation.case_id
        held = session.get(Upload, photo)
        assert held is not None and held.held_by == "escalation"
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
        assert "escalation_mailed" in kinds
    assert mail["To"] == "reservations@hotel-lumiere.example"
    assert mail["Subject"].startswith("Dossier n° ")
    assert mail["Reply-To"] == f"care+{token}@acme.example"
    assert mail["Message-ID"] == f"<{outgoing.message_id}>"
    assert mail["In-Reply-To"] is None  # the thread's root
    text = text_of(mail)
    assert text.startswith("Bonjour Hôtel Lumière,")
    assert "Merci de vérifier <script>x</script> & co" in text  # plain text: as written
    assert "zoe@example.org" not in text and "[email]" in text  # personal data masked (not ticked in)
    assert "(Europe/Paris)" in text and "Merci de répondre avant le" in text
    assert "ou répondez simplement à cet e-mail." in text
    url = next(line for line in text.splitlines() if "/p/" in line).strip()
    assert url.startswith("http://testserver/p/")
    ref = links.read(SECRET, url.rsplit("/p/", 1)[1], now())
    assert (ref.workspace_id, ref.escalation_id, ref.version) == (world.workspace_id, escalation_id, 1)
    html = html_of(mail)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in html and "<script>" not in html
    assert "&lt;b&gt;ABC123&lt;/b&gt;" in html
    assert f'href="{url}"' in html
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "chambre.png" and attachment.get_content() == png()
    assert number == case_id


def test_follow_up_and_reopening_thread_under_the_brief_in_english(runtime: Runtime, world: World,
                                                                   smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mail_settings(runtime, world, port, reply_address="care@acme.example")
    case_id, _ = customer_message(runtime, world, "Lost bag on flight AF12")
    partner_id = make_partner(runtime, world, language="en", name="Baggage desk",
                              emails=["bags@carrier.example", "lead@carrier.example"])
    escalation_id = escalate(runtime, world, case_id, partner_id, brief="Please trace bag AF12-778.")
    world.run_jobs()
    pdf_id = _agent_upload(runtime, world, b"%PDF-1.4\n%%EOF\n", "tag.pdf")
    with runtime.db.transaction() as session:
        publisher = Publisher.outside_server(session)
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        exchange = Exchange(workspace_id=world.workspace_id, escalation_id=escalation_id, direction="to_partner",
                            kind="follow_up", text="Here is the bag tag.", upload_ids=[pdf_id],
                            author_user_id=world.agent.id)
        session.add(exchange)
        session.flush()
        bus.emit(session, publisher, EscalationFollowedUp(workspace_id=world.workspace_id, case_id=case_id,
                                                          escalation_id=escalation_id, partner_id=partner_id,
                                                          exchange_id=exchange.id))
        bus.emit(session, publisher, EscalationReopened(workspace_id=world.workspace_id, case_id=case_id,
                                                        escalation_id=escalation_id, partner_id=partner_id))
        root, token = escalation.mail_message_id, escalation.reply_token
    world.run_jobs()
    world.run_jobs()  # nothing more: each mail once

    brief, follow_up, reopened = mailbox.mails()
    assert brief["Subject"].startswith("Case #") and brief["Reply-To"] == f"care+{token}@acme.example"
    assert sorted(a.strip() for a in brief["To"].split(",")) == ["bags@carrier.example", "lead@carrier.example"]
    for later in (follow_up, reopened):
        assert later["In-Reply-To"] == f"<{root}>" and later["References"] == f"<{root}>"
    assert follow_up["Subject"].startswith("Re: Case #")
    assert "Here is the bag tag." in text_of(follow_up) and "Please trace" not in text_of(follow_up)
    assert [a.get_filename() for a in follow_up.iter_attachments()] == ["tag.pdf"]
    assert reopened["Subject"].startswith("Reopened: case #")
    assert "or simply reply to this e-mail." in text_of(reopened)
    with runtime.db.transaction() as session:
        exchange_row = session.scalars(select(Exchange).where(Exchange.kind == "follow_up")).one()
        assert exchange_row.mail_message_id == follow_up["Message-ID"].strip("<>")
        upload = session.get(Upload, pdf_id)
        assert upload is not None and upload.held_by == "escalation"


def test_no_mail_without_an_address_and_a_failed_mail_without_settings(runtime: Runtime, world: World) -> None:
    case_id, _ = customer_message(runtime, world, "Where is my parcel?")
    partner_id = make_partner(runtime, world, language="en", emails=["warehouse@depot.example"])
    escalate(runtime, world, case_id, partner_id, brief="Parcel 778?")
    world.run_jobs()
    with runtime.db.transaction() as session:
        mail: Any = session.scalars(select(OutgoingMail)).one()
        assert mail.state == "failed" and "not configured" in (mail.error or "")


def test_files_shared_with_a_partner_are_never_purged(runtime: Runtime, world: World) -> None:
    shared = _agent_upload(runtime, world, png(), "shared.png")
    abandoned = _agent_upload(runtime, world, b"%PDF-1.4\n%%EOF\n", "draft.pdf")
    with runtime.db.transaction() as session:
        assert upload_actions.hold(session, world.workspace_id, [shared, 999_999], by="escalation") == 1
    with runtime.db.transaction() as session:
        deleted = upload_actions.delete_orphans(session, untouched_since=now() + timedelta(days=30), limit=100)
    assert len(deleted) == 1
    with runtime.db.transaction() as session:
        assert session.get(Upload, shared) is not None
        assert session.get(Upload, abandoned) is None
