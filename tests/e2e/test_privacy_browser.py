"""Erasing a contact in a real browser: the contact's Personal data box, the erase page (typed confirmation),
the records page; at 1,440 px and 390 px in English and French, nothing wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.models import Contact, Identity
from compris.privacy.actions.erasure import ERASED_NAME
from tests.e2e.test_browser import SHOTS, Server, _eventually, browser, server  # noqa: F401

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _contact_id(live: Server) -> int | None:
    with live.runtime.db.transaction() as session:
        return session.scalar(select(Identity.contact_id).where(Identity.platform_user_id == "zoe-dupont"))


@pytest.mark.parametrize(("width", "locale"), [(1440, "en-GB"), (390, "fr-FR")])
def test_erase_a_contact(server: Server, browser: Any, width: int, locale: str) -> None:  # noqa: F811
    server.simulate("My suitcase never arrived on flight AF123", author="zoe-dupont", kind="dm")
    _eventually(lambda: _contact_id(server) is not None, message="the message was not ingested")
    contact_id = _contact_id(server)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.goto(f"{server.base}/login")
    page.fill("#email", server.world.admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base}/inbox")
    if locale.startswith("fr"):  # the admin's own language decides the pages' language
        from compris.models import User

        with server.runtime.db.transaction() as session:
            user = session.get(User, server.world.admin.id)
            assert user is not None
            user.language = "fr"
    word = "EFFACER" if locale.startswith("fr") else "ERASE"
    page.goto(f"{server.base}/contacts/{contact_id}")
    assert _overflow(page) <= 0
    page.screenshot(path=str(SHOTS / f"privacy-contact-{width}-{locale}.png"), full_page=True)
    page.click("[data-action=erase-contact]")
    page.wait_for_url(f"{server.base}/contacts/{contact_id}/erase")
    assert word in page.inner_text("label[for=erase-confirm]")
    assert _overflow(page) <= 0
    page.screenshot(path=str(SHOTS / f"privacy-erase-{width}-{locale}.png"), full_page=True)
    page.fill("#erase-reason", "Asked by e-mail")
    page.fill("#erase-confirm", "nope")
    page.click("button[data-action=erase-contact]")
    assert page.locator("#erase-confirm-error").is_visible()
    assert page.input_value("#erase-reason") == "Asked by e-mail"
    page.fill("#erase-confirm", word.lower())
    page.click("button[data-action=erase-contact]")
    page.wait_for_url(f"{server.base}/admin/privacy?done=*")
    assert _overflow(page) <= 0
    page.screenshot(path=str(SHOTS / f"privacy-records-{width}-{locale}.png"), full_page=True)
    with server.runtime.db.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.display_name == ERASED_NAME
    context.close()
