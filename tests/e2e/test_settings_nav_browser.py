"""The top bar and the settings hub in Chromium: one line at 1,440 px, nothing overflowing at 390 px, in English
and in French, for an admin (the most entries) and an analyst."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from compris.models import User
from tests.e2e.test_browser import Server, _sign_in, browser, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

NAV_ONE_LINE = """() => new Set([...document.querySelectorAll('nav.nav a')]
  .map(a => Math.round(a.getBoundingClientRect().top))).size"""
OVERFLOW = """() => ({ page: document.documentElement.scrollWidth - window.innerWidth,
  nav: (n => n.scrollWidth - n.clientWidth)(document.querySelector('nav.nav')) })"""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_navigation_fits_on_desktop_and_phone(server: Server, browser: Any,  # noqa: F811 (fixtures)
                                                  language: str) -> None:
    with server.runtime.db.transaction() as session:
        session.execute(update(User).values(language=language))
    for email in (server.world.admin.email,):
        for width, height in ((1440, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            _sign_in(page, server, email)
            for path in ("/inbox", "/settings", "/admin/routing"):
                page.goto(f"{server.base}{path}")
                if width == 1440:
                    assert page.evaluate(NAV_ONE_LINE) == 1, (language, path)
                overflow = page.evaluate(OVERFLOW)
                assert overflow["page"] <= 0 and overflow["nav"] <= 0, (language, width, path, overflow)
            if width < 900:  # phones: the navigation is behind the menu button (issue 18, defect 11)
                page.click("#nav-toggle")
            settings = page.locator("nav.nav a[href='/settings']")
            assert settings.get_attribute("aria-current") == "page"
            assert settings.is_visible()
            context.close()
