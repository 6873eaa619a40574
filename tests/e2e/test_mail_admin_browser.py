"""The outgoing mail admin page in a real browser at phone width: settings saved, a test mail sent to a real local
SMTP server, its state in the log updated live (htmx) from queued to sent, nothing wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_browser import CHROMIUM_ARGS, Server, _eventually, _sign_in, browser, server  # noqa: F401
from tests.mail.smtp_server import smtp_server

pytestmark = pytest.mark.browser


def test_mail_settings_and_a_live_test_mail_on_a_phone(server: Server, browser: Any) -> None:  # noqa: F811
    import playwright.sync_api as playwright_sync

    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.admin.email)
    with smtp_server() as (recorder, port):
        page.goto(f"{server.base}/admin/mail")
        page.fill("#mail-host", "127.0.0.1")
        page.fill("#mail-port", str(port))
        page.select_option("#mail-security", "plain")
        page.fill("#mail-password", "hunter2-secret")
        page.fill("#mail-from", "care@brand.example")
        page.fill("#mail-reply", "care+{token}@brand.example")
        page.click("form[action='/admin/mail'] button[type=submit]")
        expect(page.locator("text=Settings saved.")).to_be_visible()
        assert page.input_value("#mail-password") == ""  # never sent back to the browser
        page.fill("#test-to", "me@brand.example")
        page.click("form[action='/admin/mail/test'] button[type=submit]")
        expect(page.locator("#test-result")).to_contain_text("me@brand.example")
        # the worker sends it; the log refreshes by itself
        expect(page.locator("#mail-log .badge").first).to_have_text("Sent", timeout=20_000)
        _eventually(lambda: len(recorder.envelopes) == 1, message="the SMTP server got nothing")
    page.locator("#mail-log summary").first.click()
    expect(page.locator("#mail-log pre").first).to_contain_text("test mail")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    assert errors == []
    context.close()
