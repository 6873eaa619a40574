"""The desk's three panes in a real browser (issue 18): a walk at 1,440 px and at 390 px through the inbox, a case
opened beside the list (without reloading the list), another case from the list, the customer panel, resolve → the
next case, back and forward. Every step fails on a page wider than the window, on a pane that scrolls sideways, or on
anything visible covering the reply box or "move to private". Defect 1: a long unbroken subject in the "similar
resolved cases" panel (and long URLs, long words in the customer's text) never widens the page.

Run: ``.venv/bin/pytest -m browser tests/e2e/test_desk_shell.py`` (Debian's Chromium; see ``test_browser.py``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_browser import SHOTS, Server, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser.py

LONG_WORD = "Réservation" + "X" * 260  # one 270-character "word": no break opportunity at all
LONG_URL = "https://www.example.com/" + "/".join(["booking-reference-AF123-ABCDEFGH"] * 9)

# the layout's faults, as a list of readable problems (empty: none)
FAULTS_JS = """
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`the page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  for (const sel of ["#desk-list", "#desk-case", ".case-conv", ".case-side", "#rows", "#timeline", "#composer"]) {
    const el = document.querySelector(sel);
    if (!el || !el.getClientRects().length) { continue; }
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${sel} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
  }
  return problems;
}
"""

# whatever is drawn over the reply box (or another control): sampled points must hit the control itself, and the
# other panes' boxes must not meet it
COVERED_JS = """
(selector) => {
  const target = document.querySelector(selector);
  if (!target || !target.getClientRects().length) { return [`${selector} is not shown`]; }
  target.scrollIntoView({ block: "center" });
  const r = target.getBoundingClientRect();
  const problems = [];
  const name = (el) => !el ? "nothing" : el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  for (const fx of [0.1, 0.3, 0.5, 0.7, 0.9]) {  /* inside the rounded corners */
    for (const fy of [0.15, 0.5, 0.85]) {
      const x = r.left + fx * r.width, y = r.top + fy * r.height;
      if (x < 0 || y < 0 || x >= window.innerWidth || y >= window.innerHeight) { continue; }
      const hit = document.elementFromPoint(x, y);
      if (!hit || !(target === hit || target.contains(hit))) {
        problems.push(`${name(hit)} covers ${selector} at (${Math.round(x)}, ${Math.round(y)})`);
      }
    }
  }
  for (const other of document.querySelectorAll(".case-side, #desk-list, .topbar, .case-tabs, .case-head")) {
    if (!other.getClientRects().length || other.contains(target) || target.contains(other)) { continue; }
    const style = getComputedStyle(other);
    if (style.visibility === "hidden" || style.display === "none") { continue; }
    const o = other.getBoundingClientRect();
    if (o.left < r.right - 1 && r.left < o.right - 1 && o.top < r.bottom - 1 && r.top < o.bottom - 1) {
      problems.push(`${name(other)} overlaps ${selector}`);
    }
  }
  return problems;
}
"""


def _faults(page: Any, where: str) -> None:
    problems = page.evaluate(FAULTS_JS)
    assert not problems, f"{where}: {problems}"


def _not_covered(page: Any, selector: str, where: str) -> None:
    problems = page.evaluate(COVERED_JS, selector)
    assert not problems, f"{where}: {problems}"


def _open_from_list(page: Any, server: Server, number: str) -> None:
    """A click in the list: the case pane changes, the URL too, the list is the same element (not reloaded)."""
    expect = playwright_sync.expect
    page.evaluate("document.getElementById('desk-list').dataset.kept = 'yes'")
    page.locator(f"#case-row-{number} a.case-link").click()
    expect(page).to_have_url(f"{server.base}/cases/{number}", timeout=30_000)
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", number)
    expect(page.locator(f"#case-row-{number}")).to_have_attribute("aria-current", "true")
    expect(page).to_have_title(re.compile(rf"^#{number} "))
    assert page.evaluate("document.getElementById('desk-list').dataset.kept") == "yes", "the list was reloaded"
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"
    assert page.evaluate("document.body.dataset.caseNumber") == number


def _settled(page: Any) -> None:
    """htmx has finished its swaps (it wires the new forms as it settles: a click before that posts the plain way)."""
    playwright_sync.expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-added")).to_have_count(0)


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def test_desk_walk_at_1440_and_390(server: Server, browser: Any) -> None:
    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors = _errors(page)
    _sign_in(page, server, server.world.agent.email)
    page.evaluate("window.__noReload = 'still here'")
    # the oldest at the bottom of the list (newest first): A (long subject), B (like A), C
    server.simulate(f"My suitcase never arrived {LONG_WORD} see {LONG_URL}", author="anna-long")
    server.simulate("My suitcase never arrived on flight AF123, where is my luggage?", author="bob-bag")
    server.simulate("Can I bring my cat in the cabin on the flight to Rome?", author="cleo-cat")
    expect(page.locator("#rows .case-row")).to_have_count(3, timeout=20_000)
    # newest first (the default sort is "needs an answer first", by SLA and priority): C, B, A from the top
    page.select_option("#filters select[name=sort]", "newest")
    expect(page.locator("#rows")).to_have_attribute("data-query", re.compile("sort=newest"))
    expect(page.locator("#rows .case-row").first).to_contain_text("cat in the cabin")
    numbers = page.locator("#rows .case-row").evaluate_all("rows => rows.map(r => r.dataset.number)")
    c_number, b_number, a_number = numbers

    # /inbox: the list, and an empty conversation pane that says what to do
    expect(page.locator("#desk-case.desk-empty")).to_be_visible()
    expect(page.locator("#desk-list")).to_be_visible()
    expect(page.locator(f"#case-row-{a_number} .net-icon")).to_have_attribute("aria-label", "Sandbox network")
    _faults(page, "inbox at 1440")
    page.screenshot(path=str(SHOTS / "compris-desk-inbox-1440.png"))

    # a case opens beside the list: three panes, nothing covers the reply box or "move to private"
    _open_from_list(page, server, c_number)
    expect(page.locator("#timeline")).to_contain_text("cat in the cabin")
    expect(page.locator("#customer")).to_be_visible()
    expect(page.locator(".case-side")).to_be_visible()
    _faults(page, "case C at 1440")
    _not_covered(page, "#reply-form", "case C at 1440")
    _not_covered(page, "#move-private-button", "case C at 1440")

    # j and k, with a case open, open the next and the previous case of the list
    page.locator("#reply-text").press("Escape")
    page.keyboard.press("j")
    expect(page).to_have_url(f"{server.base}/cases/{b_number}", timeout=30_000)
    expect(page.locator(f"#case-row-{b_number}")).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    expect(page).to_have_url(f"{server.base}/cases/{c_number}", timeout=30_000)
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", c_number)

    # resolve → the next case of the list (the one below) opens, the list stays
    expect(page.locator(f"#case-row-{c_number}")).to_have_attribute("aria-current", "true")
    page.evaluate("document.getElementById('desk-list').dataset.kept = 'yes'")
    _settled(page)
    page.keyboard.press("e")
    expect(page).to_have_url(f"{server.base}/cases/{b_number}", timeout=30_000)
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", b_number)
    expect(page.locator(f"#case-row-{b_number}")).to_have_attribute("aria-current", "true")
    assert page.evaluate("document.getElementById('desk-list').dataset.kept") == "yes"

    # A, with its 270-character word and long URL: answered, then resolved → the case above it (B) opens, since
    # A is the last of the list
    _open_from_list(page, server, a_number)
    expect(page.locator("#timeline")).to_contain_text("suitcase never arrived")
    _faults(page, "case A (long words) at 1440")
    _not_covered(page, "#reply-form", "case A at 1440")
    page.fill("#reply-text", "Sorry Anna, we are on it: your suitcase is on its way.")
    page.locator("#reply-text").press("Control+Enter")
    expect(page.locator("#timeline .msg-outbound")).to_contain_text("on its way", timeout=10_000)
    page.locator("#reply-text").press("Escape")
    _settled(page)
    page.keyboard.press("e")
    expect(page).to_have_url(f"{server.base}/cases/{b_number}", timeout=30_000)

    # defect 1: B's "similar resolved cases" shows A's subject (one unbroken 270-character word): no overflow
    expect(page.locator("#suggestions .suggestion")).to_contain_text("Réservation" + "X" * 50, timeout=10_000)
    _faults(page, "case B with a long similar subject at 1440")
    _not_covered(page, "#reply-form", "case B at 1440")
    _not_covered(page, "#move-private-button", "case B at 1440")
    page.screenshot(path=str(SHOTS / "compris-desk-case-1440.png"))

    # back and forward: A, then B again
    page.go_back()
    expect(page).to_have_url(f"{server.base}/cases/{a_number}", timeout=30_000)
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", a_number)
    page.go_forward()
    expect(page).to_have_url(f"{server.base}/cases/{b_number}", timeout=30_000)
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", b_number)
    expect(page.locator(f"#case-row-{b_number}")).to_have_attribute("aria-current", "true")
    assert not errors, errors
    context.close()

    # a phone: one pane at a time
    server.simulate("Hello, my booking XK42 shows the wrong name, can you fix it?", author="dan-phone")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="en-GB")
    mobile = phone.new_page()
    errors = _errors(mobile)
    _sign_in(mobile, server, server.world.agent.email)
    mobile.goto(f"{server.base}/inbox?status=all&sort=newest")
    mobile.evaluate("window.__noReload = 'still here'")
    expect(mobile.locator("#rows .case-row")).to_have_count(4)
    expect(mobile.locator("#desk-case")).to_be_hidden()
    _faults(mobile, "inbox at 390")
    mobile.screenshot(path=str(SHOTS / "compris-desk-inbox-390.png"), full_page=True)
    d_number = mobile.locator("#rows .case-row").first.get_attribute("data-number")
    assert d_number

    _open_from_list(mobile, server, d_number)
    expect(mobile.locator("#desk-list")).to_be_hidden()
    expect(mobile.locator("#timeline")).to_contain_text("wrong name")
    expect(mobile.locator(".case-head .back")).to_be_visible()
    expect(mobile.locator("#customer")).to_be_hidden()
    _faults(mobile, "case D at 390")
    _not_covered(mobile, "#reply-form", "case D at 390")
    _not_covered(mobile, "#move-private-button", "case D at 390")
    mobile.screenshot(path=str(SHOTS / "compris-desk-case-390.png"), full_page=True)
    # the customer and case panel: a tab of its own
    mobile.get_by_role("button", name="Customer and case").click()
    expect(mobile.locator("#customer")).to_be_visible()
    expect(mobile.locator("#timeline")).to_be_hidden()
    _faults(mobile, "the panel at 390")
    mobile.get_by_role("button", name="Conversation").click()
    expect(mobile.locator("#timeline")).to_be_visible()

    # B (the long similar subject) at phone width
    mobile.goto(f"{server.base}/cases/{b_number}")
    expect(mobile.locator("#suggestions .suggestion")).to_contain_text("Réservation" + "X" * 50, timeout=10_000)
    _faults(mobile, "case B with a long similar subject at 390")
    _not_covered(mobile, "#reply-form", "case B at 390")
    # the back link: the list again
    mobile.locator(".case-head .back").click()
    mobile.wait_for_url(re.compile(r".*/inbox.*"))
    expect(mobile.locator("#desk-list")).to_be_visible()
    assert not errors, errors
    phone.close()


def test_direct_load_keeps_the_last_filters(server: Server, browser: Any) -> None:
    """The list beside /cases/N is the one the agent left: its filters come back from the inbox."""
    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    server.simulate("First: my seat was changed without notice", author="eve-seat")
    server.simulate("Second: the lounge was closed", author="fay-lounge")
    expect(page.locator("#rows .case-row")).to_have_count(2, timeout=20_000)
    page.fill("#q", "lounge")
    expect(page.locator("#rows .case-row")).to_have_count(1)
    number = page.locator("#rows .case-row").first.get_attribute("data-number")
    other = "1" if number == "2" else "2"
    page.goto(f"{server.base}/cases/{other}")
    # the filtered list (one row: the lounge), even though the open case is not in it
    expect(page.locator("#rows .case-row")).to_have_count(1)
    expect(page.locator("#q")).to_have_value("lounge")
    expect(page.locator("#desk-case")).to_have_attribute("data-case-number", other)
    context.close()


def test_a_draft_survives_moving_to_another_case_and_back(server: Server, browser: Any) -> None:
    """An agent types a reply, opens another case from the list, comes back: the draft is still there (per case,
    in the tab's sessionStorage); once sent, it does not come back."""
    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    server.simulate("My seat was changed without notice", author="gil-seat")
    server.simulate("The lounge was closed", author="hal-lounge")
    expect(page.locator("#rows .case-row")).to_have_count(2, timeout=20_000)
    page.evaluate("window.__noReload = 'still here'")
    first, second = (page.locator("#rows .case-row").nth(i).get_attribute("data-number") for i in (0, 1))
    assert first and second
    _open_from_list(page, server, first)
    _settled(page)
    page.locator("#reply-text").fill("Sorry about the seat, I am looking at your booking now")
    page.locator("#note-text").fill("check the seat map")
    _open_from_list(page, server, second)
    _settled(page)
    expect(page.locator("#reply-text")).not_to_have_value(re.compile("seat"))
    _open_from_list(page, server, first)
    _settled(page)
    expect(page.locator("#reply-text")).to_have_value("Sorry about the seat, I am looking at your booking now")
    expect(page.locator("#note-text")).to_have_value("check the seat map")
    page.locator("#note-text").press("Control+Enter")  # the note is added: its draft goes
    expect(page.locator("#timeline")).to_contain_text("check the seat map", timeout=20_000)
    _settled(page)
    _open_from_list(page, server, second)
    _settled(page)
    _open_from_list(page, server, first)
    _settled(page)
    expect(page.locator("#note-text")).to_have_value("")
    expect(page.locator("#reply-text")).to_have_value("Sorry about the seat, I am looking at your booking now")
    context.close()


def test_a_note_about_the_customer_being_typed_survives_a_live_refresh(server: Server, browser: Any) -> None:
    """The customer panel is redrawn by every live refresh of the case (a new message, a merge): the note about the
    customer being typed is kept (it was wiped: the agent's click on "Add note" then sent nothing)."""
    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, server, server.world.agent.email)
    server.simulate("My pram was not loaded on the plane", author="ida-pram")
    expect(page.locator("#rows .case-row")).to_have_count(1, timeout=20_000)
    page.evaluate("window.__noReload = 'still here'")
    number = page.locator("#rows .case-row").first.get_attribute("data-number")
    assert number
    _open_from_list(page, server, number)
    _settled(page)
    page.locator("#customer-note-new").fill("Travels with twins, needs the pram at the gate")
    server.simulate("Still no pram, we are at the carousel", author="ida-pram")
    expect(page.locator("#timeline")).to_contain_text("at the carousel", timeout=20_000)
    _settled(page)
    expect(page.locator("#customer-note-new")).to_have_value("Travels with twins, needs the pram at the gate")
    page.locator("#customer [data-action=note-add]").click()
    expect(page.locator("#customer .customer-note .note-text")).to_have_text(
        "Travels with twins, needs the pram at the gate", timeout=20_000)
    _settled(page)
    expect(page.locator("#customer-note-new")).to_have_value("")
    context.close()
