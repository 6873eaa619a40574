"""The people page in a real browser at phone width (390 px), in English and French: invite someone (no outgoing
mail: the link shown to copy), open a user's role, teams and skills; nothing wider than the screen; then the
invitation's link accepted in another browser, which lands signed in."""

from __future__ import annotations

from typing import Any

import pytest

from compris.models import User
from tests.e2e.test_browser import CHROMIUM_ARGS, Server, _sign_in, browser, server  # noqa: F401

pytestmark = pytest.mark.browser


#: the elements whose content is wider than themselves (the navigation scrolls on its own), for the message
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => !e.closest('nav') && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX == 'visible')
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth)"""


def _no_overflow(page: Any, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDE)
    assert width <= 390, f"{what} is {width} px wide at 390 px: {wide}"


def test_people_page_on_a_phone(server: Server, browser: Any) -> None:  # noqa: F811
    import playwright.sync_api as playwright_sync

    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.admin.email)
    page.goto(f"{server.base}/admin/people")
    page.fill("#invite-email", "a.very.long.address.for.a.phone@subsidiary.acme.test")
    page.fill("#invite-name", "Nina Roux")
    page.select_option("#invite-role", "analyst")
    page.click("form#invite button[type=submit]")
    expect(page.locator("text=no e-mail was sent")).to_be_visible()
    link = page.input_value("#shown-link")
    assert "/invitations/" in link
    page.locator(f"#user-{server.world.agent.id} summary").click()
    expect(page.locator(f"#role-{server.world.agent.id}")).to_be_visible()
    _no_overflow(page, "the people page")
    page.goto(f"{server.base}/settings/profile")
    _no_overflow(page, "the profile page")

    with server.world.runtime.db.transaction() as s:
        admin = s.get(User, server.world.admin.id)
        assert admin is not None
        admin.language = "fr"
    page.goto(f"{server.base}/admin/people")
    expect(page.locator("h1")).to_have_text("Personnes")
    page.locator(f"#user-{server.world.agent.id} summary").click()
    _no_overflow(page, "the people page in French")

    guest = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    other = guest.new_page()
    other.goto(link)
    _no_overflow(other, "the invitation page")
    other.fill("#password", "a long new password")
    other.fill("#confirm", "a long new password")
    other.click("form button[type=submit]")
    other.wait_for_url(f"{server.base}/inbox*")
    expect(other.locator(".whoami-link")).to_have_attribute(
        "title", "a.very.long.address.for.a.phone@subsidiary.acme.test")
    assert errors == []
    guest.close()
    context.close()
