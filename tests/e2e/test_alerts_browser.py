"""A supervisor sees listening alerts appear live (real server, Chromium): a high-reach complaint arrives through the
sandbox network → toast, the inbox row's badge, the case's alert panel; a volume spike raised by the spike check →
toast and the alerts page's list refreshed, without a reload; then acknowledges it. At phone width, nothing
overflows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.listening import alerts
from compris.models import AlertKind, Case
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_supervisor_sees_alerts_live(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.admin.email)  # an admin is a supervisor too
    page.evaluate("window.__noReload = 'still here'")

    # a complaint from a verified account (the sandbox's author is verified): alerted at once, once per case
    server.simulate("This is a disgrace, my parcel never arrived and nobody answers!", author="loud-lou")
    expect(page.locator("#toast")).to_contain_text("a high-reach complaint", timeout=20_000)
    row = page.locator("#rows .case-row", has_text="nobody answers")
    expect(row.locator(".alert-kind-reach")).to_have_text("High reach", timeout=10_000)
    assert page.evaluate("window.__noReload") == "still here"

    # the alerts page refreshes by itself when a volume spike is raised
    page.goto(f"{server.base}/listening/alerts")
    expect(page.locator("#alerts .alert-reach")).to_have_count(1)
    page.evaluate("window.__noReload = 'still here'")
    with server.runtime.db.transaction() as s:
        alerts.raise_alert(
            s, server.runtime.publisher, workspace_id=server.world.workspace_id, kind=AlertKind.SPIKE,
            key="spike:e2e", title="Volume spike on Acme Air: 31 messages in 60 min (usually 6.5)",
            reasons=[{"code": "spike", "params": {"scope": "kw:colis", "label": "“colis”", "observed": 31,
                                                  "expected": 6.5, "window_minutes": 60, "basis": "week"}}],
            data={"scope": "kw:colis", "observed": 31, "expected": 6.5, "window_minutes": 60,
                  "keywords": [{"term": "colis", "observed": 31, "expected": 0.4, "lift": 22.9}]})
    expect(page.locator("#toast")).to_contain_text("Volume spike: 31 messages in 60 min (usually 6.5)",
                                                   timeout=10_000)
    spike = page.locator("#alerts .alert-spike")
    expect(spike).to_contain_text("31 messages in 60 min on keyword “colis”, usually 6.5", timeout=10_000)
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/compris-listening-alerts.png")  # noqa: S108

    # acknowledge: it leaves the "not acknowledged" list
    spike.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts .alert-spike")).to_have_count(0)

    # the case shows its alert; at phone width nothing overflows
    with server.runtime.db.transaction() as s:
        number = s.scalars(select(Case.number)).one()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB").new_page()
    _sign_in(phone, server, server.world.admin.email)
    for path in (f"/cases/{number}", "/listening/alerts?state=all", "/listening/settings"):
        phone.goto(f"{server.base}{path}")
        if path.startswith("/cases"):
            expect(phone.locator("#case-alerts")).to_contain_text("High-reach complaint", timeout=10_000)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    assert errors == []
