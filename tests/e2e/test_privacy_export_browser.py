"""An admin downloads a contact's personal data from the contact page (real server, Chromium); the "Personal data"
box fits a phone in English and French."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from compris.kit.clock import now
from compris.models import Case, User
from tests.e2e.test_browser import Server, _eventually, _sign_in, browser, playwright_sync, server  # noqa: F401

pytestmark = pytest.mark.browser


def test_admin_exports_a_contact_from_its_page(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    server.simulate("Mon sac est perdu à Lyon, pouvez-vous m'aider ?", author="sam-lee", kind="dm")

    def contact_id() -> int | None:
        with server.runtime.db.transaction() as s:
            return s.scalar(select(Case.contact_id))

    _eventually(lambda: contact_id() is not None, message="the message never became a case")
    cid = contact_id()
    page = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB",
                               accept_downloads=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.admin.email)
    page.goto(f"{server.base}/contacts/{cid}")
    box = page.locator("section.personal-data")
    expect(box.get_by_role("heading")).to_have_text("Personal data")
    with page.expect_download() as info:
        box.get_by_role("button", name="Export personal data").click()
    download = info.value
    assert download.suggested_filename == f"compris-contact-{cid}-{now().date().isoformat()}.zip"
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as zf:
        assert "Mon sac est perdu" in zf.read("messages.json").decode()
    assert page.url.endswith(f"/contacts/{cid}")  # still on the contact page
    page.screenshot(path="/tmp/compris-privacy-export.png")  # noqa: S108

    for language in ("en", "fr"):
        with server.runtime.db.transaction() as s:
            admin = s.get(User, server.world.admin.id)
            assert admin is not None
            admin.language = language
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        _sign_in(phone, server, server.world.admin.email)
        phone.goto(f"{server.base}/contacts/{cid}")
        expect(phone.locator("section.personal-data button")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), language
        phone.screenshot(path=f"/tmp/compris-privacy-export-{language}-phone.png", full_page=True)  # noqa: S108
    assert errors == []
