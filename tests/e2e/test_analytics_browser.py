"""The Reports page in a real browser: a supervisor opens Reports, applies a filter and sees the figures change,
follows a figure to the cases behind it, downloads a CSV and reads it; no horizontal scrolling at 1,440 and
390 px."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from compris.accounts import actions as accounts
from compris.analytics import rollups
from compris.models import Case, Workspace
from tests.e2e.test_browser import PASSWORD, SHOTS, Server, _eventually, browser, server  # noqa: F401
from tests.e2e.test_browser import playwright_sync as pw

pytestmark = pytest.mark.browser


def _messages(live: Server) -> None:
    """Three customers write through the sandbox network; their cases are rolled up (the job's work, now)."""
    live.simulate("My suitcase never arrived on flight AF123, this is unacceptable", author="marie-dupont")
    live.simulate("What time does check-in open tomorrow?", author="sam-lee")
    live.simulate("Je voudrais un remboursement pour ma réservation XK42", author="jean-martin", kind="dm")
    db = live.runtime.db

    def three() -> bool:
        with db.transaction() as session:
            return (session.scalar(select(func.count()).select_from(Case)
                                   .where(Case.workspace_id == live.world.workspace_id)) or 0) >= 3

    _eventually(three, message="the three messages did not become cases")
    while True:
        with db.transaction() as session:
            if rollups.process_dirty(session, 500) == 0:
                break


def _supervisor(live: Server) -> str:
    with live.runtime.db.transaction() as session:
        workspace = session.get(Workspace, live.world.workspace_id)
        assert workspace is not None
        user = accounts.create_user(session, workspace=workspace, email="sue@acme.test", name="Sue Pervisor",
                                    password=PASSWORD, role="supervisor")
        return user.email


def _sign_in(page: Any, live: Server, email: str) -> None:
    page.goto(f"{live.base}/login?next=/reports")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.base}/reports")


def _no_sideways_scroll(page: Any, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll}px wide at {width}px"


def test_reports_filter_drill_down_and_csv(server: Server, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    _messages(server)
    email = _supervisor(server)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    _sign_in(page, server, email)
    messages = page.locator('[data-kpi="messages"] .kpi-value')
    pw.expect(messages).to_have_text("3")
    pw.expect(page.locator('[data-kpi="new_cases"] .kpi-value')).to_have_text("3")
    _no_sideways_scroll(page, 1440, "the Reports page")
    page.screenshot(path=str(SHOTS / "compris-reports-1440.png"), full_page=True)

    # a filter: the workspace's other channel account has had no message
    page.select_option("select[name=account]", label=f"{server.world.workspace.slug} on Sandbox")
    page.select_option("select[name=period]", "7d")
    page.click("#report-filters button[type=submit]")
    page.wait_for_url("**/reports?*account=*")
    assert "period=7d" in page.url
    pw.expect(messages).to_have_text("0")
    pw.expect(page.locator("select[name=account] option:checked")).to_have_text(
        f"{server.world.workspace.slug} on Sandbox")
    page.click("#report-filters a:has-text('Reset')")
    pw.expect(messages).to_have_text("3")

    # from a figure to the cases behind it
    page.click('[data-kpi="response_rate"] .kpi-value a')
    pw.expect(page.locator("#drill-cases tbody a")).to_have_count(3)
    pw.expect(page.locator("#drill-summary")).to_contain_text("3 cases")
    page.go_back()

    # a CSV download, read back
    with page.expect_download() as info:
        page.click("a[href^='/reports/export/by_network.csv']")
    download = info.value
    assert download.suggested_filename.startswith("compris-by_network-")
    target = tmp_path / "by_network.csv"
    download.save_as(str(target))
    table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert table == [["key", "label", "count", "previous_count"], ["sandbox", "sandbox", "3", "0"]]

    # the same page on a phone: everything readable, nothing scrolls sideways
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="en-GB")
    mobile = phone.new_page()
    _sign_in(mobile, server, email)
    pw.expect(mobile.locator('[data-kpi="messages"] .kpi-value')).to_have_text("3")
    _no_sideways_scroll(mobile, 390, "the Reports page")
    mobile.screenshot(path=str(SHOTS / "compris-reports-390.png"), full_page=True)
    for path in ("/reports/cases?measure=messages", "/reports/objectives", "/reports?period=bogus"):
        mobile.goto(f"{server.base}{path}")
        _no_sideways_scroll(mobile, 390, path)
    phone.close()
    context.close()
