"""The incident in a real browser: a verified customer's complaint raises a high-reach alert that the supervisor sees
live on the alerts page (li-alerts' part, merged); the supervisor opens an incident from it (its case linked, a
keyword and another case added), a new matching message shows live in the inbox with the incident's badge, the
supervisor confirms the incident, previews and saves the holding statement in French and English, sends it (each
customer gets it once, in their language, on the sandbox network), and resolves the incident with its cases and
the closing message. The page stays readable at 390 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from compris.models import BulkItem, Case, Incident, Message
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server  # noqa: F401
from tests.listening.incident_helpers import supervisor

pytestmark = pytest.mark.browser


def _case_number(live: Server, text: str) -> int | None:
    with live.runtime.db.transaction() as s:
        found = s.scalar(select(Case.number).join(Message, Message.case_id == Case.id)
                         .where(Case.workspace_id == live.world.workspace_id, Message.text == text))
        return int(found) if found is not None else None


def _statement_items(live: Server) -> list[str]:
    with live.runtime.db.transaction() as s:
        return [str(state) for state in s.scalars(select(BulkItem.state))]


def test_supervisor_confirms_sends_the_holding_statement_and_resolves(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    boss = supervisor(server.world)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, boss.email)

    # a verified customer's complaint: the high-reach alert shows live on the alerts page
    page.goto(f"{server.base}/listening/alerts")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on", timeout=10_000)
    server.simulate("My flight AF1234 was cancelled and nobody answers the phone, disgraceful!", author="bob-stone",
                    kind="dm")
    open_from_alert = page.locator("a[href^='/incidents/new?alert=']")
    expect(open_from_alert).to_have_count(1, timeout=20_000)
    expect(page.locator("#toast")).to_contain_text("high-reach complaint")
    server.simulate("Mon vol AF1234 est annulé, que faire ?", author="amelie-roux", kind="dm")
    expect(open_from_alert).to_have_count(2, timeout=20_000)  # (a verified customer too)
    first = _case_number(server, "Mon vol AF1234 est annulé, que faire ?")
    second = _case_number(server, "My flight AF1234 was cancelled and nobody answers the phone, disgraceful!")

    # the incident opens from the alert: its case is linked; a keyword and the other case are added
    open_from_alert.first.click()
    page.wait_for_url(f"{server.base}/incidents/new?alert=*")
    expect(page.locator("input[name=name]")).to_have_value(re.compile("High-reach complaint on case #"))
    page.fill("input[name=name]", "Cancelled trips — AF1234")
    page.fill("input[name=keywords]", "AF1234, cancelled")
    page.fill("input[name=cases]", f"{first} {second}")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{server.base}/incidents/1?done=opened")
    expect(page.locator(".inc-case-table tbody tr")).to_have_count(2)
    expect(page.locator(".incident-page")).to_contain_text("Opened from an alert")
    expect(page.locator(".inc-head .inc-status")).to_have_text("Suspected")

    # a new matching message: it shows live in the inbox, with the incident's badge
    page.goto(f"{server.base}/inbox")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on", timeout=10_000)
    server.simulate("AF1234 cancelled again, I am stuck at the airport", author="carla-mendes", kind="dm")
    row = page.locator("#rows .case-row", has_text="stuck at the airport")
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".inc-badge")).to_have_text("Incident #1")

    # confirm, write the statements, preview them, save
    page.goto(f"{server.base}/incidents/1")
    expect(page.locator(".inc-case-table tbody tr")).to_have_count(3)
    page.click("#inc-confirm")
    expect(page.locator("#inc-done")).to_contain_text("Incident confirmed.")
    expect(page.locator(".inc-head .inc-status")).to_have_text("Confirmed")
    page.fill("#statement-fr", "Bonjour {first_name}, votre vol AF1234 est annulé. Nous vous recontactons vite.")
    page.fill("#statement-en", "Hello {first_name}, flight AF1234 is cancelled. We will get back to you soon.")
    page.fill("#closing-fr", "Bonjour {first_name}, un nouveau vol vous attend. Merci de votre patience.")
    page.fill("#closing-en", "Hello {first_name}, a new flight is booked for you. Thank you for your patience.")
    page.click("#inc-preview")
    preview = page.locator("#inc-preview-result")
    expect(preview).to_contain_text("Bonjour Amelie, votre vol AF1234 est annulé")
    expect(preview).to_contain_text("Hello Carla, flight AF1234 is cancelled")  # the latest English case
    page.click("#inc-save-statements")
    expect(page.locator("#inc-done")).to_contain_text("Saved.")

    # send the holding statement: each case once, in its language
    page.click("#inc-send-all")
    expect(page.locator("#inc-done")).to_contain_text("Holding statement on its way to 3 cases.")
    _eventually(lambda: sorted(_statement_items(server)) == ["done", "done", "done"], 30,
                "the holding statement was not sent to the three cases")
    page.reload()
    expect(page.locator(".inc-sent[data-state=done]")).to_have_count(3)
    with server.runtime.db.transaction() as s:
        sent = list(s.scalars(select(Message.text).where(Message.direction == "outbound")))
    assert sorted(t.split(",")[0] for t in sent) == ["Bonjour Amelie", "Hello Bob", "Hello Carla"]
    page.screenshot(path=str(SHOTS / "incident.png"), full_page=True)
    page.click("#inc-send-all")  # again: nobody gets it twice
    expect(page.locator("#inc-done")).to_contain_text("already answered with this statement")

    # at a phone's width the page does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), wide
    page.screenshot(path=str(SHOTS / "incident-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # resolve the incident with its cases and the closing message
    page.check("#inc-resolve-cases")
    page.check("#inc-send-closing")
    page.click("#inc-resolve")
    expect(page.locator("#inc-done")).to_contain_text("Incident resolved.")
    expect(page.locator(".inc-head .inc-status")).to_have_text("Resolved")

    def all_resolved() -> bool:
        with server.runtime.db.transaction() as s:
            statuses = set(s.scalars(select(Case.status).where(Case.workspace_id == server.world.workspace_id)))
            return statuses == {"resolved"}

    _eventually(all_resolved, 30, "the incident's cases were not resolved")
    with server.runtime.db.transaction() as s:
        incident = s.scalar(select(Incident).where(Incident.workspace_id == server.world.workspace_id))
        assert incident is not None and incident.status == "resolved"
        closing = list(s.scalars(select(Message.text).where(Message.text.contains("Thank you for your patience"))))
        assert len(closing) == 2  # the two English customers; the French one got the French closing message
    assert not [e for e in errors if "favicon" not in e], errors
    context.close()
