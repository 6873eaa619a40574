"""The partner portal in a real browser on a phone (390 px), in French: no login, no horizontal scrolling, every
button reachable (by touch and by keyboard), an answer with a file sent from there; an expired link's page.

Run: ``.venv/bin/pytest -m browser tests/e2e/test_portal.py`` (Debian's Chromium; see ``test_browser.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from compris.escalation import links
from compris.kit.clock import now
from compris.models import Escalation, Exchange
from tests.conftest import SECRET
from tests.e2e.test_browser import SHOTS, Server, _wait_until, browser, playwright_sync, server
from tests.escalation.partner_side import customer_message, escalate, make_partner, png

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]


def _link(server: Server, escalation_id: int, *, at_days_ago: int = 0, days: int = 14) -> str:
    with server.runtime.db.transaction() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        return links.url_for(server.base, SECRET, escalation, now() - timedelta(days=at_days_ago), days)


def _opened(server: Server, escalation_id: int) -> bool:
    with server.runtime.db.transaction() as session:
        return session.scalar(select(Escalation.opened_at).where(Escalation.id == escalation_id)) is not None


def test_the_portal_on_a_phone_in_french(server: Server, browser: Any) -> None:
    expect = playwright_sync.expect
    runtime, world = server.runtime, server.world
    case_id, message_id = customer_message(
        runtime, world, "Ma chambre n'était pas prête à l'arrivée, réservation 88213. Un très long message "
        "avec une adresse https://example.org/un/chemin/tres/long/sans/espaces/qui/pourrait/deborder/de/l/ecran "
        "et un mot interminable Anticonstitutionnellementanticonstitutionnellement.")
    partner_id = make_partner(runtime, world, language="fr")
    escalation_id = escalate(runtime, world, case_id, partner_id, message_ids=[message_id],
                             brief="Bonjour, pouvez-vous confirmer la chambre de notre client <Zoé & Co> ?")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(_link(server, escalation_id))

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # the page's script records the opening with a POST (a GET records nothing: issue 21)
    _wait_until(lambda: _opened(server, escalation_id), "the portal's opening recorded")
    expect(page.locator("#portal-brief")).to_have_text(
        "Bonjour, pouvez-vous confirmer la chambre de notre client <Zoé & Co> ?")  # as text, never markup
    expect(page.locator("#portal-shared")).to_contain_text("Ce que Acme partage avec vous")
    # no horizontal scrolling at 390 px, even with a long unbroken word and URL
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] <= 390, widths
    for name in ("Envoyer la réponse", "Fait de notre côté", "Besoin de plus d'informations"):
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44
    # keyboard: from the text box, Tab reaches the file input, then the three buttons
    page.locator("#portal-text").focus()
    reached = []
    for _ in range(4):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id"))
    assert reached == ["portal-files", "Envoyer la réponse", "Fait de notre côté", "Besoin de plus d'informations"]
    page.screenshot(path=str(SHOTS / "compris-portal-390.png"), full_page=True)

    # "need more information", with a photo
    page.locator("#portal-text").fill("Quel est le nom du client ? Photo de la chambre jointe.")
    page.locator("#portal-files").set_input_files([{"name": "chambre.png", "mimeType": "image/png",
                                                    "buffer": png()}])
    page.get_by_role("button", name="Besoin de plus d'informations").tap()
    expect(page.locator("#portal-sent")).to_contain_text("Merci : votre réponse a été envoyée à Acme.")
    expect(page.locator("#portal-exchanges")).to_be_visible()
    expect(page.locator(".msg.from-partner")).to_contain_text("Besoin de plus d'informations")
    expect(page.locator(".msg.from-partner a")).to_have_text("chambre.png")
    assert context.cookies() == []
    with runtime.db.transaction() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.direction == "from_partner")).one()
        assert exchange.kind == "need_info" and len(exchange.upload_ids) == 1

    # switch to English and back
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Done on our side")).to_be_visible()

    # an expired link: a clear page, in French
    page.goto(_link(server, escalation_id, at_days_ago=20, days=14))
    expect(page.locator("#portal-refused h1")).to_have_text("Ce lien a expiré")
    expect(page.locator("#portal-refused")).to_contain_text("Demandez-en un nouveau à Acme.")
    assert not errors, errors
    context.close()
