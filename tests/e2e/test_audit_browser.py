"""The audit log page in Chromium: an entry opens to its before/after; the chain is verified with the button; at
390 px and 1,440 px, in English and French, nothing overflows (long values wrap or scroll inside their box)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from compris.models import User
from compris.routing import actions as routing
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_audit_page_reads_well_on_a_phone_and_a_desktop(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    with server.runtime.db.transaction() as s:
        admin = s.get(User, server.world.admin.id)
        assert admin is not None
        team = routing.create_team(s, server.runtime.publisher, actor=admin, name="Care")
        routing.update_team(s, server.runtime.publisher, actor=admin, team_id=team.id,
                            name="Customer-care-for-the-whole-of-Europe-" + "x" * 60, timezone="Europe/Paris",
                            shift_lines="mon-fri 09:00-17:00")
    for language, title, verify in (("en", "Audit log", "Verify the chain now"),
                                    ("fr", "Journal d’audit", "Vérifier la chaîne maintenant")):
        with server.runtime.db.transaction() as s:
            s.execute(update(User).where(User.id == server.world.admin.id).values(language=language))
        for width in (390, 1440):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            _sign_in(page, server, server.world.admin.email)
            page.goto(f"{server.base}/admin/audit")
            expect(page.locator("h1")).to_have_text(title)
            page.get_by_role("button", name=verify).click()
            expect(page.locator("#audit-chain.success")).to_be_visible()
            entry = page.locator(".audit-entries li", has_text="Europe/Paris").first
            entry.locator("summary").click()
            expect(entry.locator(".audit-diff")).to_be_visible()
            for details in page.locator(".audit-entries details").all():
                details.evaluate("d => d.open = true")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (language, width)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=f"/tmp/compris-audit-{language}-{width}.png")  # noqa: S108
            assert errors == []
            context.close()
