"""A case with hundreds of messages in a real browser (issue 22): it opens with its latest messages, "Show earlier
messages" adds the earlier ones in place, and a new message arriving live does not fold what the agent opened.

Run: ``.venv/bin/pytest -m browser tests/e2e/test_long_case_browser.py`` (Debian's Chromium; see ``test_browser.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from compris.inbox.queries import TIMELINE_PAGE
from compris.models import Case, Message
from tests.e2e.test_browser import Server, _eventually, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]

EXTRA = TIMELINE_PAGE + 40


def _long_case(server: Server) -> int:
    """A customer's DM through the sandbox network, then ``EXTRA`` more messages of the conversation; its number."""
    server.simulate("Bonjour, my booking LONG42 again", author="cust-long", kind="dm")

    def stored() -> bool:
        with server.runtime.db.transaction() as session:
            return session.scalar(select(Message.id).where(Message.text.like("%LONG42%"))) is not None

    _eventually(stored, message="the first message was not stored")
    with server.runtime.db.transaction() as session:
        first = session.scalars(select(Message).where(Message.text.like("%LONG42%"))).one()
        for i in range(EXTRA):
            inbound = i % 2 == 0
            session.add(Message(
                workspace_id=first.workspace_id, case_id=first.case_id, thread_id=first.thread_id,
                channel_account_id=first.channel_account_id, direction="inbound" if inbound else "outbound",
                visibility="private", text=f"older exchange {i}", sent_at=first.sent_at + timedelta(seconds=i + 1),
                author_identity_id=first.author_identity_id if inbound else None, platform_message_id=f"long-{i}"))
        case = session.get(Case, first.case_id)
        assert case is not None
        return case.number


def test_earlier_messages_open_in_place_and_stay_open_through_a_live_refresh(browser: Any, server: Server) -> None:
    expect = playwright_sync.expect
    number = _long_case(server)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        _sign_in(page, server, server.world.agent.email)
        page.goto(f"{server.base}/cases/{number}")
        messages = page.locator("#timeline li.msg")
        expect(messages).to_have_count(TIMELINE_PAGE)
        expect(page.locator("#timeline")).to_contain_text(f"older exchange {EXTRA - 1}")
        expect(page.locator("#timeline")).not_to_contain_text("LONG42")

        page.locator(".timeline-earlier a").click()
        expect(messages).to_have_count(EXTRA + 1)  # every message, the first one included
        expect(page.locator("#timeline")).to_contain_text("LONG42")
        expect(page.locator(".timeline-earlier")).to_have_count(0)
        expect(page).to_have_url(f"{server.base}/cases/{number}")  # the case stays the page's own

        # the customer writes again: the live refresh keeps every message the agent opened, and adds the new one
        server.simulate("Any news about LONG42?", author="cust-long", kind="dm")
        expect(page.locator("#timeline")).to_contain_text("Any news about LONG42?", timeout=20_000)
        expect(messages).to_have_count(EXTRA + 2)
    finally:
        page.close()
