"""An agent escalates a case from the keyboard (p), then sees the partner's answer arrive live (real server,
Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris import bus
from compris.escalation import actions
from compris.events import EscalationAnswered
from compris.inbox.actions import assign
from compris.models import Case, Escalation, EscalationStatus, Exchange, User
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_escalate_with_the_shortcut_and_see_the_answer_live(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    world = server.world
    with server.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        actions.create_partner(session, server.runtime.publisher, actor=admin, name="Hôtel des Arts",
                               emails=["reservations@hotel-des-arts.example"], language="fr", due_minutes=240)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, world.agent.email)
    server.simulate("My booking at the hotel vanished, mail me at jane@example.com", author="jane", kind="dm")
    row = page.locator("#rows .case-row", has_text="booking at the hotel")
    expect(row).to_be_visible(timeout=20_000)
    with server.runtime.db.transaction() as session:
        case = session.scalars(select(Case)).one()
        agent = session.get(User, world.agent.id)
        assert agent is not None
        assign(session, server.runtime.publisher, actor=agent, case=case, assignee=agent)
        number = case.number
    page.goto(f"{server.base}/cases/{number}")
    expect(page.locator("#escalations")).to_contain_text("Not escalated.")

    # p opens the form with the partner list focused
    page.locator("body").press("p")
    expect(page.locator("#escalate-partner")).to_be_focused()
    page.select_option("#escalate-partner", label=page.locator("#escalate-partner option").nth(1).inner_text())
    page.fill("#escalate-brief", "Please confirm the booking is kept")
    with page.expect_response(lambda r: r.url.endswith("/escalations") and r.request.method == "POST") as info:
        page.click("button[data-action=escalate]")
    assert info.value.status == 200, info.value.text()[:3000]
    expect(page.locator("#escalations .escalation")).to_contain_text("Waiting for the partner", timeout=10_000)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "waiting_partner")
    expect(page.locator("#timeline")).to_contain_text("Escalated to Hôtel des Arts")

    # the partner answers (the portal's write): the agent sees it without reloading
    page.evaluate("window.__noReload = 'still here'")
    with server.runtime.db.transaction() as session:
        e = session.scalars(select(Escalation)).one()
        x = Exchange(workspace_id=e.workspace_id, escalation_id=e.id, direction="from_partner", kind="answer",
                     text="Booking kept, room 12", via="portal")
        session.add(x)
        session.flush()
        e.status = EscalationStatus.ANSWERED
        bus.emit(session, server.runtime.publisher, EscalationAnswered(
            workspace_id=e.workspace_id, case_id=e.case_id, escalation_id=e.id, partner_id=e.partner_id,
            exchange_id=x.id))
    expect(page.locator("#toast")).to_contain_text("Hôtel des Arts answered", timeout=10_000)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "open", timeout=10_000)
    expect(page.locator("#escalations")).to_contain_text("Booking kept, room 12", timeout=10_000)
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/compris-escalation.png")  # noqa: S108

    # phone width: the panel and the form still fit
    mobile = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    phone = mobile.new_page()
    _sign_in(phone, server, world.agent.email)
    phone.goto(f"{server.base}/cases/{number}")
    phone.locator("[data-case-tab=side]").click()  # one pane at a time: the case panel is a tab of its own
    phone.locator("#escalate-form summary").click()
    expect(phone.locator("#escalate-brief")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, width
    assert not errors, errors
