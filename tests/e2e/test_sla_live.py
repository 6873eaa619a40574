"""A supervisor watches the inbox while a case turns "at risk", then "breached", live (real server, Chromium).

The policy has a tiny calendar-time target (4 s, warned 3 s ahead) and the test triggers the scheduled pass
itself (the same ``run_pass`` the periodic ``sla.pass`` job runs), so nothing waits for the scheduler's slot.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from compris.models import Case, CaseEvent, SlaBreach, SlaPolicy
from compris.sla.clocks import run_pass
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _pass(srv: Server) -> None:
    with srv.runtime.db.transaction() as session:
        run_pass(session, srv.runtime.publisher)


def test_supervisor_sees_a_case_turn_at_risk_then_breached(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    with server.runtime.db.transaction() as session:
        session.add(SlaPolicy(workspace_id=server.world.workspace_id, name="Tiny", first_response_s=4,
                              warn_before_s=3))
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.admin.email)  # an admin is a supervisor too

    server.simulate("Our flight was cancelled and nobody answers!", author="angry-ann", kind="dm")
    row = page.locator("#rows .case-row", has_text="nobody answers")
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".badge.sla")).to_have_count(0)
    with server.runtime.db.transaction() as session:
        case = session.scalars(select(Case)).one()
        created = case.created_at
        assert case.sla_status == "ok"

    # the pass after a second: at risk, shown in the row and as a toast, without a reload
    page.evaluate("window.__noReload = 'still here'")
    time.sleep(max(0.0, 1.5 - (time.time() - created.timestamp())))
    _pass(server)
    expect(row.locator(".badge.sla-at_risk")).to_have_text("SLA at risk", timeout=10_000)
    expect(page.locator("#toast")).to_contain_text("SLA at risk", timeout=10_000)
    page.screenshot(path="/tmp/compris-sla-at-risk.png")  # noqa: S108

    # past the deadline: breached
    time.sleep(max(0.0, 4.5 - (time.time() - created.timestamp())))
    _pass(server)
    expect(row.locator(".badge.sla-breached")).to_have_text("SLA breached", timeout=10_000)
    expect(page.locator("#toast")).to_contain_text("SLA breached", timeout=10_000)
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/compris-sla-breached.png")  # noqa: S108

    # sortable by due time; recorded once, even when the pass runs again
    page.select_option("select[name=sort]", "due")
    expect(page.locator("#rows .case-row").first).to_contain_text("nobody answers")
    _pass(server)
    _pass(server)
    with server.runtime.db.transaction() as session:
        assert len(session.scalars(select(SlaBreach)).all()) == 1
        assert len(session.scalars(select(CaseEvent).where(CaseEvent.kind == "sla_breached")).all()) == 1
    assert not errors, errors
