"""The inbox in a real browser (issue 18): search without accents finds a message with them, the filters are saved
as a view that comes back with its count, and the panel fits a phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from compris.models import User
from tests.e2e.test_browser import SHOTS, Server, _sign_in, browser, server

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests


def _no_horizontal_overflow(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width}px wide in a {viewport}px window"


def test_search_recu_finds_recu_and_the_filters_become_a_view(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.agent.email)
    server.simulate("Bonjour, je n'ai jamais reçu mon remboursement", author="gerard-leclerc", kind="dm")
    server.simulate("Lovely flight, thanks", author="sam-lee")
    expect(page.locator("#rows .case-row")).to_have_count(2, timeout=20_000)

    # search without the accent (typing filters the list by itself)
    page.fill("#q", "recu")
    expect(page.locator("#rows .case-row")).to_have_count(1)
    expect(page.locator("#rows .case-row")).to_contain_text("remboursement")
    page.fill("#q", "GERARD")
    expect(page.locator("#rows .case-row")).to_have_count(1)
    page.fill("#q", "recu")
    expect(page.locator("#rows .case-row")).to_have_count(1)

    # save the filters as a view: it comes back in the panel with its count
    page.click(".saved-view-new > summary")
    page.fill("#save-view-name", "Pas reçu")
    page.click("#save-view-form button[type=submit]")
    current = page.locator(".saved-view.current")
    expect(current).to_contain_text("Pas reçu", timeout=10_000)
    expect(current.locator(".count")).to_have_text("1")
    expect(page.locator("#q")).to_have_value("recu")
    expect(page.locator("#rows .case-row")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "compris-inbox-views-1440.png"), full_page=True)
    _no_horizontal_overflow(page)

    # the whole list again, then back to the view with one click
    page.goto(f"{server.base}/inbox")
    expect(page.locator("#rows .case-row")).to_have_count(2)
    page.click(".saved-view a:has-text('Pas reçu')")
    expect(page.locator("#rows .case-row")).to_have_count(1)
    assert errors == []

    # a phone, in French: the panel fits, the extra filters folded away
    with server.runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == server.world.agent.id).values(language="fr"))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True)
    small = phone.new_page()
    _sign_in(small, server, server.world.agent.email)
    expect(small.locator(".more-filters > summary")).to_have_text("Plus de filtres")
    expect(small.locator(".more-filters select[name=priority]")).to_be_hidden()
    expect(small.locator("#saved-views-title")).to_have_text("Vues enregistrées")
    _no_horizontal_overflow(small)
    small.click(".more-filters > summary")
    expect(small.locator(".more-filters select[name=priority]")).to_be_visible()
    _no_horizontal_overflow(small)
    small.screenshot(path=str(SHOTS / "compris-inbox-views-390-fr.png"), full_page=True)
    phone.close()
    context.close()
