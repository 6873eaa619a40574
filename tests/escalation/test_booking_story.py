"""The booking.com story, end to end (SQLite and PostgreSQL): a customer's public post and private message → one
case → the agent escalates to the hotel (``compris.escalation.actions.escalate``, the escalation core's action) →
the brief e-mail goes out through a real local SMTP server → the hotel opens the link from that mail in a fresh
browser context (no login) and answers with a photo → the agent sees the answer live on the case → the case is
open again and the resolution clock, paused while the hotel had it, runs again.

Run alone: ``pytest -m browser tests/escalation/test_booking_story.py``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from compris.escalation.actions import escalate
from compris.models import (
    Case,
    CaseEvent,
    Escalation,
    Exchange,
    Message,
    OutgoingMail,
    Partner,
    SlaPolicy,
    Upload,
    User,
)
from tests.e2e.test_browser import CHROMIUM_ARGS, SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server
from tests.escalation.partner_side import Mailbox, mail_settings, png, smtp_server, text_of

pytestmark = [pytest.mark.browser]
__all__ = ["CHROMIUM_ARGS", "browser", "server", "smtp_server"]

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_.-]+)")


def test_the_booking_story(server: Server, browser: Any, smtp_server: tuple[Mailbox, int]) -> None:
    expect = playwright_sync.expect
    mailbox, smtp_port = smtp_server
    runtime, world = server.runtime, server.world
    mail_settings(runtime, world, smtp_port)
    with runtime.db.transaction() as session:  # a resolution target, paused while the hotel has the case
        session.add(SlaPolicy(workspace_id=world.workspace_id, name="Resolution", resolution_s=48 * 3600))
        hotel = Partner(workspace_id=world.workspace_id, name="Hôtel Lumière", language="fr",
                        emails=["reservations@hotel-lumiere.example"], link_days=7)
        session.add(hotel)
        session.flush()
        hotel_id = hotel.id

    # the agent is signed in; the customer writes publicly, then privately: one case
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    agent = agent_context.new_page()
    _sign_in(agent, server, world.agent.email)
    server.simulate("@AcmeTravel my room at Hôtel Lumière was dirty, booking 4471 — nobody answers!",
                    author="lea-martin")
    server.simulate("Here are the details: booking 4471, arrived on Friday, room 412 was not cleaned.",
                    author="lea-martin", kind="dm")
    row = agent.locator("#rows .case-row", has_text="room")
    expect(row.first).to_be_visible(timeout=20_000)

    def the_case() -> Case | None:
        with runtime.db.transaction() as session:
            cases = list(session.scalars(select(Case).where(Case.workspace_id == world.workspace_id)))
            messages = list(session.scalars(select(Message).where(Message.direction == "inbound")))
            if len(messages) < 2:
                return None
            assert len(cases) == 1, "the public post and the private message make one case"
            session.expunge(cases[0])
            return cases[0]

    _eventually(lambda: the_case() is not None, message="the two messages did not arrive")
    case = the_case()
    assert case is not None
    agent.goto(f"{server.base}/cases/{case.number}")

    # the agent escalates to the hotel, sharing both messages (personal data masked)
    with runtime.db.transaction() as session:
        actor = session.get(User, world.agent.id)
        row_case = session.get(Case, case.id)
        message_ids = [m.id for m in session.scalars(select(Message).where(Message.case_id == case.id))]
        escalation = escalate(session, runtime.publisher, actor=actor, case=row_case, partner_id=hotel_id,
                              brief="Bonjour, notre cliente signale la chambre 412 non nettoyée. Pouvez-vous "
                                    "vérifier et nous dire ce que vous proposez ?", message_ids=message_ids)
        escalation_id = escalation.id
    with runtime.db.transaction() as session:
        waiting = session.get(Case, case.id)
        assert waiting is not None and waiting.status == "waiting_partner"
        assert waiting.sla_status == "paused"

    # the brief reaches the real SMTP server (the worker runs escalation.mail, then mail.send)
    _eventually(lambda: bool(mailbox.envelopes), message="the partner's e-mail was not sent")
    (mail,) = mailbox.mails()
    assert mail["To"] == "reservations@hotel-lumiere.example" and mail["Subject"].startswith("Dossier n° ")
    text = text_of(mail)
    link = LINK.search(text)
    assert link, text

    def sent() -> bool:
        with runtime.db.transaction() as session:
            return session.scalars(select(OutgoingMail)).one().state == "sent"

    _eventually(sent, message="the mail was not marked sent")

    # the hotel opens the link in a fresh browser context (no login, a phone) and answers with a photo
    hotel_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    assert hotel_context.cookies() == []
    portal = hotel_context.new_page()
    portal.goto(link.group(1))
    expect(portal.locator("#portal-brief")).to_contain_text("chambre 412 non nettoyée")
    expect(portal.locator("#portal-shared")).to_be_visible()
    assert "4471" in portal.content()  # a booking number is not personal data; names and handles are
    portal.locator("#portal-text").fill("Chambre refaite, nuit offerte à la cliente. Photo jointe.")
    portal.locator("#portal-files").set_input_files([{"name": "chambre-412.png", "mimeType": "image/png",
                                                      "buffer": png()}])
    portal.locator("button[value=answer]").click()
    expect(portal.locator("#portal-sent")).to_be_visible(timeout=10_000)
    assert hotel_context.cookies() == []  # no session was ever made for the partner
    portal.screenshot(path=str(SHOTS / "compris-portal-answered-390.png"), full_page=True)

    # the agent sees it live on the case, without reloading
    expect(agent.locator("#timeline")).to_contain_text("Hôtel Lumière answered", timeout=20_000)
    agent.screenshot(path=str(SHOTS / "compris-booking-story-1280.png"), full_page=True)

    # the case is the agent's again; the resolution clock runs again
    with runtime.db.transaction() as session:
        answered = session.get(Case, case.id)
        assert answered is not None and answered.status == "open" and answered.sla_status != "paused"
        escalation_row = session.get(Escalation, escalation_id)
        assert escalation_row is not None and escalation_row.status == "answered"
        assert escalation_row.opened_at is not None and escalation_row.answered_at is not None
        exchange = session.scalars(select(Exchange).where(Exchange.direction == "from_partner")).one()
        assert exchange.via == "portal" and "nuit offerte" in exchange.text
        (upload_id,) = exchange.upload_ids
        upload = session.get(Upload, upload_id)
        assert upload is not None and upload.held_by == "escalation"
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        for kind in ("escalated", "escalation_mailed", "escalation_opened", "escalation_answered"):
            assert kind in kinds
    # the photo is reachable by the agent, not by someone without a session
    assert httpx.get(f"{server.base}/uploads/{upload_id}", follow_redirects=False, timeout=10).status_code in (
        302, 303, 401)
    agent_context.close()
    hotel_context.close()
