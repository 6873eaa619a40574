"""``/admin/retention`` in a real browser: at 1,440 and 390 px, in English and French, with a field's error shown,
the page never scrolls sideways (screenshots in /tmp)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from compris.kit.clock import now
from compris.models import Message, User
from compris.privacy.actions import retention
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)
from tests.privacy.retention_helpers import closed_case, fake_audit_purge, stored_file

pytestmark = pytest.mark.browser


def test_readable_at_phone_and_desktop_width_in_both_languages(server: Server, browser: Any,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_audit_purge(monkeypatch)
    world = server.world
    old = now() - timedelta(days=800)
    with world.runtime.db.transaction() as s:
        case = closed_case(s, world, old)
        inbound = s.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")).one()
        stored_file(s, world, inbound, old, "phone")
        number = case.number
        admin = s.get(User, world.admin.id)
        assert admin is not None
        retention.save_policy(s, None, actor=admin, values={"messages_days": 730, "attachments_days": 365,
                                                            "raw_events_days": 90, "audit_days": 365})
    expect = playwright_sync.expect
    for lang in ("en", "fr"):
        with world.runtime.db.transaction() as s:
            s.execute(update(User).where(User.id == world.admin.id).values(language=lang))
        for width in (1440, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
            page = context.new_page()
            _sign_in(page, server, world.admin.email)
            page.goto(f"{server.base}/admin/retention")
            expect(page.locator(".retention-preview")).to_be_visible()
            page.fill("#retention-messages_days", "3")
            page.locator(".retention-form button[type=submit]").click()
            expect(page.locator("#retention-messages_days-error")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (lang, width)
            page.screenshot(path=f"/tmp/compris-retention-{lang}-{width}.png", full_page=True)  # noqa: S108
            context.close()

    # after a run, the case page says what was removed, and still fits a phone
    retention.apply(world.runtime.db, world.workspace_id, data_dir=server.runtime.settings.data_dir)
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, world.admin.email)
    page.goto(f"{server.base}/cases/{number}")
    expect(page.locator(".msg-removed").first).to_be_visible()
    expect(page.locator(".attachment-state-removed")).to_have_count(2)  # the stored file and the network's link
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/compris-retention-case-390.png", full_page=True)  # noqa: S108
    context.close()
