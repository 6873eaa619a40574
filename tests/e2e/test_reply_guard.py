"""The reply guard in a real browser: a draft that triggers findings, a one-click fix, overriding the warnings
left, sending; then a template inserted with the keyboard.

Run: ``.venv/bin/pytest -m browser tests/e2e`` (Debian's Chromium; see ``test_browser.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.models import GuardEvent, User
from compris.replies.actions import ensure_default_templates
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser.py

DRAFT = "Please contact customer service between 9am and 5pm."


def test_guard_finding_fix_override_send_and_template(server: Server, browser: Any) -> None:
    expect = playwright_sync.expect
    with server.runtime.db.transaction() as session:
        admin = session.get(User, server.world.admin.id)
        assert admin is not None
        ensure_default_templates(session, admin)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, server.world.agent.email)
    posted = server.simulate("My flight was cancelled and nobody at the airport helps. Worst airline ever!",
                             author="kim-lee")
    row = page.locator("#rows .case-row", has_text="flight was cancelled")
    expect(row).to_be_visible(timeout=20_000)
    number = row.get_attribute("data-number")
    page.goto(f"{server.base}/cases/{number}")

    # typing a deflection: the guard explains what is wrong, as the draft is typed
    page.keyboard.press("r")
    page.keyboard.type(DRAFT)
    panel = page.locator("#guard-panel")
    expect(panel.locator('.finding[data-rule="office_hours"]')).to_be_visible(timeout=10_000)
    expect(panel.locator('.finding[data-rule="send_elsewhere"]')).to_be_visible()
    expect(panel.locator('.finding[data-rule="no_acknowledgement"]')).to_contain_text("apologises")
    page.screenshot(path=str(SHOTS / "compris-reply-guard-1280.png"), full_page=True)

    # one click applies the fix (an apology); the guard runs again
    panel.locator('.finding[data-rule="no_acknowledgement"] [data-fix-kind]').click()
    expect(page.locator("#reply-text")).to_have_value("Sorry to hear about this. " + DRAFT)
    expect(panel.locator('.finding[data-rule="no_acknowledgement"]')).to_have_count(0, timeout=10_000)

    # the warnings left are overridden with a click each, then the reply is sent
    for rule in ("office_hours", "send_elsewhere"):
        page.locator(f'#guard-panel .finding[data-rule="{rule}"] [data-override]').click()
    expect(page.locator("#reply-override")).to_have_value("office_hours,send_elsewhere")
    page.locator("#reply-text").focus()
    page.keyboard.press("Control+Enter")
    sent = "Sorry to hear about this. " + DRAFT
    expect(page.locator("#timeline .msg-outbound")).to_contain_text(sent, timeout=10_000)
    expect(page.locator("#timeline .msg-outbound .delivery-sent")).to_be_visible(timeout=30_000)

    def delivered() -> bool:
        return any(m.get("text") == sent for m in server.thread(posted["thread_id"])["messages"])

    _eventually(delivered, message="the reply did not reach the sandbox network")
    with server.runtime.db.transaction() as session:
        events = {e.rule: e.overridden for e in session.scalars(select(GuardEvent))}
    assert events == {"office_hours": True, "send_elsewhere": True}

    # t opens the templates; typing filters; Enter inserts the first, filled in for this customer
    page.keyboard.press("Escape")
    page.keyboard.press("t")
    expect(page.locator("#template-picker")).to_be_visible()
    page.keyboard.type("thanks")
    # the template whose shortcut is exactly what was typed comes first
    expect(page.locator("#template-results .template-item").first).to_contain_text("Thanks for the kind words",
                                                                                   timeout=10_000)
    page.keyboard.press("Enter")
    expect(page.locator("#template-picker")).to_be_hidden()
    expect(page.locator("#reply-text")).to_have_value("Thank you Kim, that means a lot to the team! Agent")
    assert page.locator("#reply-template-id").input_value() != ""
    assert not errors, errors
    context.close()
