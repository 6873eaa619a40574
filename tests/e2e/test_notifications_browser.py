"""Notifications in a real browser: a colleague mentions you in a note, your bell counts it live, you open it from
the keyboard and land on the case at the note; the menu's keyboard behaviour; the page at desktop and phone width."""

from __future__ import annotations

import re
from typing import Any

import pytest

from compris.models import User
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server  # noqa: F401

pytestmark = pytest.mark.browser

expect = playwright_sync.expect


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def test_a_mention_reaches_the_colleagues_bell_live(server: Server, browser: Any) -> None:  # noqa: F811
    world = server.world
    with world.runtime.db.transaction() as s:  # B's name, as a colleague would write it
        agent = s.get(User, world.agent.id)
        assert agent is not None
        agent.name = "Sophie Bernard"
    server.simulate("My suitcase never arrived on flight AF123.", author="marie-dupont")

    # B (the agent) waits on the inbox: no unread notification
    b_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    b = b_context.new_page()
    b_errors = _watch(b)
    _sign_in(b, server, world.agent.email)
    expect(b.locator("#rows .case-row")).to_have_count(1, timeout=20_000)
    expect(b.locator("#notif-count")).to_be_hidden()
    expect(b.locator("#notif-button")).to_have_attribute("aria-label", "Notifications")
    number = b.locator("#rows .case-row").first.get_attribute("data-number")

    # A (the admin) writes a note on the case, choosing B from the "@" suggestions
    a_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    a = a_context.new_page()
    a_errors = _watch(a)
    _sign_in(a, server, world.admin.email)
    a.goto(f"{server.base}/cases/{number}")
    note = a.locator("#note-text")
    note.click()
    note.press_sequentially("@soph")
    option = a.locator("#mention-list li", has_text="Sophie Bernard")
    expect(option).to_be_visible()
    expect(a.locator("#mention-list li")).to_have_count(1)
    note.press("Enter")
    expect(note).to_have_value("@Sophie Bernard ")
    note.press_sequentially("can you call the hotel?")
    a.locator("#note-form button[type=submit]").click()
    expect(a.locator("#timeline")).to_contain_text("@Sophie Bernard can you call the hotel?", timeout=10_000)

    # B's bell counts it, live, and says so to screen readers
    expect(b.locator("#notif-count")).to_have_text("1", timeout=15_000)
    expect(b.locator("#notif-button")).to_have_attribute("aria-label", "Notifications: 1 unread")
    expect(b.locator("#notif-status")).to_contain_text("Admin acme mentioned you on case #")
    b.screenshot(path=str(SHOTS / "compris-notifications-bell-1440.png"))

    # the menu from the keyboard: Enter opens it with the focus on the notification, Esc closes it
    b.locator("#notif-button").focus()
    b.keyboard.press("Enter")
    expect(b.locator("#notif-panel")).to_be_visible()
    first = b.locator("#notif-menu .notif-link").first
    expect(first).to_be_focused()
    expect(first).to_contain_text("Admin acme mentioned you on case #")
    expect(first.locator(".notif-excerpt")).to_have_text("@Sophie Bernard can you call the hotel?")
    b.screenshot(path=str(SHOTS / "compris-notifications-menu-1440.png"))
    b.keyboard.press("Escape")
    expect(b.locator("#notif-panel")).to_be_hidden()
    expect(b.locator("#notif-button")).to_be_focused()

    # opening it marks it read and lands on the case, at the note
    b.keyboard.press("Enter")
    expect(first).to_be_focused()
    b.keyboard.press("Enter")
    b.wait_for_url(re.compile(rf"/cases/{number}#message-\d+$"))
    anchor = b.url.rsplit("#", 1)[1]
    expect(b.locator(f"#{anchor}")).to_contain_text("can you call the hotel?")
    expect(b.locator("#notif-count")).to_be_hidden()
    assert a_errors == [] and b_errors == [], (a_errors, b_errors)


def test_the_page_at_desktop_and_phone_width_in_both_languages(server: Server, browser: Any) -> None:  # noqa: F811
    world = server.world
    server.simulate("Where is my refund?", author="jean-martin")
    from sqlalchemy import select

    from compris.inbox.actions import cases as inbox
    from compris.models import Case

    def processed() -> bool:
        with world.runtime.db.transaction() as s:
            return s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)).first() is not None

    _eventually(processed, message="the customer's message became a case")
    with world.runtime.db.transaction() as s:
        case = s.scalars(select(Case).where(Case.workspace_id == world.workspace_id)).first()
        admin = s.get(User, world.admin.id)
        agent = s.get(User, world.agent.id)
        assert case is not None and admin is not None and agent is not None
        inbox.add_note(s, world.runtime.publisher, actor=admin, case=case,
                       text="@Agent the customer called twice, " + "please check the booking " * 6)
        inbox.assign(s, world.runtime.publisher, actor=admin, case=case, assignee=agent)
    for language, locale in (("en", "en-GB"), ("fr", "fr-FR")):
        with world.runtime.db.transaction() as s:
            agent = s.get(User, world.agent.id)
            assert agent is not None
            agent.language = language
        for width, height in ((1440, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
            page = context.new_page()
            errors = _watch(page)
            _sign_in(page, server, world.agent.email)
            page.goto(f"{server.base}/notifications")
            expect(page.locator("#notifications .notif-item")).to_have_count(2)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal overflow"
            page.screenshot(path=str(SHOTS / f"compris-notifications-{language}-{width}.png"), full_page=True)
            page.locator("#notif-button").click()
            expect(page.locator("#notif-panel")).to_be_visible()
            box = page.locator("#notif-panel").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
            page.screenshot(path=str(SHOTS / f"compris-notifications-menu-{language}-{width}.png"))
            page.mouse.click(5, height - 5)  # a click outside closes it
            expect(page.locator("#notif-panel")).to_be_hidden()
            assert errors == [], errors
            context.close()


FAKE_NOTIFICATION = """
window.__shown = [];
window.__asked = 0;
class FakeNotification {
  constructor(title, options) { window.__shown.push({ title: title, body: (options || {}).body || "" }); }
  close() {}
}
FakeNotification.permission = sessionStorage.getItem("fake-permission") || "default";  /* kept, as a browser does */
FakeNotification.requestPermission = function () {
  window.__asked += 1;
  FakeNotification.permission = "granted";
  sessionStorage.setItem("fake-permission", "granted");
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
Object.defineProperty(document, "hidden", { get: function () { return window.__hidden === true; } });
"""


def test_browser_notifications_asked_on_a_click_no_customer_text(server: Server, browser: Any) -> None:  # noqa: F811
    world = server.world
    server.simulate("My card number is 4970 1012 3456 7890, refund me", author="marie-dupont")

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.add_init_script(FAKE_NOTIFICATION)
    page = context.new_page()
    errors = _watch(page)
    _sign_in(page, server, world.agent.email)
    page.goto(f"{server.base}/notifications")
    # nothing is asked on its own
    assert page.evaluate("window.__asked") == 0
    box = page.locator("#pref-browser")
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("#pref-browser-state")).to_have_text("This browser may show notifications.")
    assert page.evaluate("window.__asked") == 1
    page.locator("#notif-prefs-form button[type=submit]").click()
    expect(page.locator("#pref-browser")).to_be_checked()
    expect(page.locator("#notif-menu .notif-menu")).to_have_attribute("data-browser", "1")

    # while the tab is in the background, a colleague mentions the agent: one browser notification
    page.evaluate("window.__hidden = true")
    from sqlalchemy import select

    from compris.inbox.actions import cases as inbox
    from compris.models import Case

    def processed() -> bool:
        with server.runtime.db.transaction() as s:
            return s.scalars(select(Case.id).where(Case.workspace_id == world.workspace_id)).first() is not None

    _eventually(processed, message="the customer's message became a case")
    with server.runtime.db.transaction() as s:
        case = s.scalars(select(Case).where(Case.workspace_id == world.workspace_id)).first()
        admin = s.get(User, world.admin.id)
        assert case is not None and admin is not None
        inbox.add_note(s, server.runtime.publisher, actor=admin, case=case, text="@Agent <b>please</b> call her")
    expect(page.locator("#notif-count")).to_have_text("1", timeout=15_000)
    page.wait_for_function("() => window.__shown.length === 1")
    shown = page.evaluate("window.__shown[0]")
    assert shown["title"] == "Admin acme mentioned you on case #1"
    assert shown["body"] == "@Agent <b>please</b> call her"  # plain text (a notification renders no HTML)
    assert "4970" not in shown["title"] + shown["body"]
    assert errors == [], errors
