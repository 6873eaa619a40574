"""Bulk actions in a real browser: a supervisor ticks cases with the keyboard (j/k, x, Shift+x, * a, * n) and the
mouse (a row's box, Shift+click, "All on this page"), tags them in bulk, then answers them with a template: the
preview shows the personalised text, the confirmation sends one reply per case, the progress finishes live. At
390 px wide nothing overflows.

Run: ``.venv/bin/pytest -m browser tests/e2e/test_bulk_browser.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.models import Case, CaseTag, DeliveryState, Message, User
from compris.replies import actions as replies
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, server

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests

CUSTOMERS = ["ana-silva", "bruno-costa", "chloe-martin", "david-leroy", "emma-dubois"]


def _ticked(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#rows .bulk-check:checked", "els => els.map(e => e.dataset.number)"))


def test_select_with_keyboard_and_mouse_then_tag_and_reply_in_bulk(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    world = server.world
    with world.runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        replies.create_template(session, actor=admin, name="Holding statement",
                                bodies={"en": "Hi {first_name}, we know about the delivery delay and are on it."})
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, server, world.admin.email)
    for who in CUSTOMERS:
        server.simulate("Where is my parcel? It is a week late.", author=who)
    expect(page.locator("#rows .case-row")).to_have_count(len(CUSTOMERS), timeout=20_000)
    numbers = page.eval_on_selector_all("#rows .case-row", "els => els.map(e => e.dataset.number)")

    # keyboard: j to the first row, x ticks it, j j then Shift+x ticks the range
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert _ticked(page) == numbers[:1]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("Shift+X")
    assert _ticked(page) == numbers[:3]
    expect(page.locator("#bulk-count")).to_have_text("3 cases selected")
    # * n: none; * a: all on the page
    page.keyboard.press("*")
    page.keyboard.press("n")
    assert _ticked(page) == []
    page.keyboard.press("*")
    page.keyboard.press("a")
    assert _ticked(page) == numbers
    # mouse: untick the second row, then Shift+click from the fourth to the fifth unticks both
    page.locator(f"#case-row-{numbers[1]} .bulk-check").click()
    page.locator(f"#case-row-{numbers[3]} .bulk-check").click()
    page.locator(f"#case-row-{numbers[4]} .bulk-check").click(modifiers=["Shift"])
    assert _ticked(page) == [numbers[0], numbers[2]]
    page.locator("#bulk-all").click()
    assert _ticked(page) == numbers
    page.locator(f"#case-row-{numbers[4]} .bulk-check").click()
    expect(page.locator("#bulk-count")).to_have_text("4 cases selected")

    # tag the four
    page.select_option("#bulk-kind", "tag")
    expect(page.locator("#bulk-tag")).to_be_visible()
    expect(page.locator("#bulk-assignee")).to_be_hidden()
    page.fill("#bulk-tag", "Colis perdu")
    page.click("#bulk-apply")
    expect(page.locator("#bulk-result .bulk-run")).to_have_attribute("data-state", "done", timeout=20_000)
    expect(page.locator("#rows .badge.tag")).to_have_count(4, timeout=20_000)  # the list refreshed live
    assert _ticked(page) == []  # a started run clears the selection
    with world.runtime.db.transaction() as session:
        assert len(list(session.scalars(select(CaseTag)))) == 4

    # answer all five with the template: preview first, then send
    page.keyboard.press("*")
    page.keyboard.press("a")
    page.select_option("#bulk-kind", "reply")
    page.select_option("#bulk-template", label="Holding statement")
    page.click("#bulk-apply")
    preview = page.locator("#bulk-preview-text")
    # the first ticked: the inbox's first row (what needs an answer first: here the longest waiting)
    first_name = page.locator(f"#case-row-{numbers[0]} .c-name").inner_text().split()[0]
    assert first_name == "Ana"
    expect(preview).to_contain_text(f"Hi {first_name}, we know about the delivery delay")
    expect(page.locator("#bulk-confirm")).to_have_text("Send to 5 cases")
    page.screenshot(path=str(SHOTS / "bulk-preview.png"), full_page=True)
    page.click("#bulk-confirm")
    run = page.locator("#bulk-result .bulk-run")
    expect(run).to_have_attribute("data-state", "done", timeout=30_000)
    expect(run.locator('[data-count="sent"]')).to_have_text("5 sent", timeout=30_000)

    def all_sent() -> bool:
        with world.runtime.db.transaction() as session:
            states = list(session.scalars(select(Message.delivery_state).join(Case, Case.id == Message.case_id)
                                          .where(Case.workspace_id == world.workspace_id,
                                                 Message.direction == "outbound")))
        return len(states) == 5 and all(s == DeliveryState.SENT for s in states)

    _eventually(all_sent, message="five replies, each sent once")
    page.screenshot(path=str(SHOTS / "bulk-done.png"), full_page=True)

    # a phone: the bar and the list fit 390 px
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    _sign_in(phone, server, world.admin.email)
    phone.keyboard.press("*")
    phone.keyboard.press("a")
    expect(phone.locator("#bulk-count")).to_have_text("5 cases selected")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.screenshot(path=str(SHOTS / "bulk-phone.png"), full_page=True)
