"""The conversation pane and the reply box in a real browser (issue 18): switching the thread the reply answers
(item 3), the guard's state after a flagged draft is fixed (defect 4), the triage correction's refusal in its own
panel (defect 6).

Run: ``.venv/bin/pytest -m browser tests/e2e/test_conversation_browser.py`` (Debian's Chromium; see
``test_browser.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.models import Message
from tests.e2e.test_browser import SHOTS, Server, _eventually, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with test_browser.py

DEFLECTION = "Please contact customer service between 9am and 5pm."


def _page(server: Server, browser: Any, width: int = 1440) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, server.world.agent.email)
    return page, errors


def _open_case(page: Any, server: Server, text: str) -> str:
    row = page.locator("#rows .case-row", has_text=text)
    playwright_sync.expect(row).to_be_visible(timeout=20_000)
    number = row.get_attribute("data-number")
    page.goto(f"{server.base}/cases/{number}")
    return str(number)


def _inbound(server: Server) -> list[Message]:
    with server.runtime.db.transaction() as session:
        rows = list(session.scalars(select(Message).where(Message.direction == "inbound").order_by(Message.id)))
        session.expunge_all()
    return rows


def test_switching_the_thread_changes_the_reply_target(server: Server, browser: Any) -> None:
    expect = playwright_sync.expect
    page, errors = _page(server, browser)
    server.simulate("My bag never arrived on AF123", author="marcus-lee")
    number = _open_case(page, server, "bag never arrived")
    server.simulate("Here is my booking reference in private: XK42QZ", author="marcus-lee", kind="dm")
    _eventually(lambda: len(_inbound(server)) == 2, message="the DM did not arrive")
    page.reload()
    public, private = _inbound(server)

    # the latest customer message's thread is chosen: a private message, no @mention, no move to private
    target = page.locator("select#reply-target")
    expect(target).to_have_value(str(private.id))
    says = page.locator("#reply-says")
    expect(says).to_have_text("Private message on Sandbox network as Acme Air to Marcus Lee")
    expect(page.locator("#move-private-button")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "compris-conversation-threads-1440.png"), full_page=True)

    # switching to the public thread: a public reply to the post, move to private offered, the guard re-checks
    target.select_option(str(public.id))
    expect(says).to_have_text("Public reply on Sandbox network as Acme Air to Marcus Lee's post")
    expect(page.locator('#reply-form input[name="visibility"][value="public"]')).to_be_checked()
    expect(page.locator("#move-private-button")).to_be_visible()
    page.locator("#reply-text").fill("Could you send me your booking reference?")
    expect(page.locator('#guard-panel .finding[data-rule="asks_personal_data"]')).to_be_visible(timeout=10_000)

    # back to the private thread: the same draft is fine there
    target.select_option(str(private.id))
    expect(says).to_have_text("Private message on Sandbox network as Acme Air to Marcus Lee")
    expect(page.locator('#guard-panel .finding[data-rule="asks_personal_data"]')).to_have_count(0, timeout=10_000)

    # the reply goes to the public thread when chosen; the box comes back empty on it
    target.select_option(str(public.id))
    page.locator("#reply-text").fill("So sorry about your bag, we are tracing it now.")
    page.locator("#reply-text").press("Control+Enter")
    expect(page.locator("#timeline .msg-outbound")).to_contain_text("we are tracing it now", timeout=10_000)
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("select#reply-target")).to_have_value(str(public.id))
    with server.runtime.db.transaction() as session:
        sent = session.scalar(select(Message).where(Message.direction == "outbound"))
        assert sent is not None and sent.thread_id == public.thread_id
    assert number
    assert errors == [], errors


def test_a_fixed_draft_clears_the_guards_refusal(server: Server, browser: Any) -> None:
    """Defect 4: "check the reply guard's warnings… / send anyway" stayed next to "sees no problem"."""
    expect = playwright_sync.expect
    page, errors = _page(server, browser)
    server.simulate("My flight AF9 was cancelled and nobody at the airport helps!", author="ada-king")
    _open_case(page, server, "flight AF9 was cancelled")
    area = page.locator("#reply-text")
    area.fill(DEFLECTION)
    page.locator('#reply-form button[type="submit"].primary').click()
    page.screenshot(path=str(SHOTS / "compris-guard-refused-1440.png"), full_page=True)
    panel = page.locator("#guard-panel")
    expect(panel.locator(".guard-refusal")).to_contain_text("Check the reply guard's warnings below",
                                                            timeout=10_000)
    expect(panel.get_by_role("button", name="Send anyway")).to_be_visible()
    expect(area).to_have_attribute("aria-invalid", "true")

    area.fill("So sorry about this: I have rebooked you on tomorrow's AF9, boarding at gate 12 from 14:05.")
    expect(panel.locator(".guard-ok")).to_have_text("The reply guard sees no problem.", timeout=10_000)
    expect(page.locator("#reply-form")).not_to_contain_text("Check the reply guard's warnings")
    expect(page.get_by_role("button", name="Send anyway")).to_have_count(0)
    expect(area).not_to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "compris-guard-fixed-1440.png"), full_page=True)

    # sending it: the box clears and the guard starts over
    area.press("Control+Enter")
    expect(page.locator("#timeline .msg-outbound")).to_contain_text("boarding at gate 12", timeout=10_000)
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("#guard-panel .finding")).to_have_count(0)
    expect(page.locator("#guard-panel .guard-refusal")).to_have_count(0)
    errors = [e for e in errors if "422" not in e]  # the refused send's answer, on purpose
    assert errors == [], errors


def test_an_impossible_triage_correction_answers_in_its_own_form(server: Server, browser: Any) -> None:
    """Defect 6: the form offered "intent = positive" and answered a 422 in the wrong panel."""
    expect = playwright_sync.expect
    page, errors = _page(server, browser)
    server.simulate("My flight was cancelled and nobody helps", author="lou-park")
    _open_case(page, server, "flight was cancelled")
    (message,) = _inbound(server)
    triage = page.locator(f"#triage-{message.id}")
    triage.locator("summary").click()
    select_ = triage.locator("select[name=correction]")
    assert select_.locator('option[value="intent:positive"]').count() == 0
    assert select_.locator('option[value="sentiment:positive"]').count() == 1
    # a stale or tampered form still sends an impossible pair: the refusal shows in this form, not elsewhere
    select_.evaluate("s => { s.add(new Option('intent: positive', 'intent:positive')); s.value = 'intent:positive'; }")
    triage.get_by_role("button", name="Save").click()
    alert = page.locator(f"#triage-{message.id} [role=alert]")
    expect(alert).to_contain_text("“positive” is not a possible intent", timeout=10_000)
    expect(page.locator(f"#triage-{message.id} details.tri-correct")).to_have_attribute("open", "")
    expect(page.locator("#case-actions [role=alert]")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "compris-triage-refused-1440.png"), full_page=True)

    # a real correction: the timeline shows it
    page.locator(f"#triage-{message.id} select[name=correction]").select_option("intent:question")
    page.locator(f"#triage-{message.id}").get_by_role("button", name="Save").click()
    expect(page.locator(f"#triage-{message.id} .tri-intent")).to_have_text("Question", timeout=10_000)
    expect(page.locator(f"#triage-{message.id}")).to_contain_text("corrected by the team")
    errors = [e for e in errors if "422" not in e]  # the refused correction's answer, on purpose
    assert errors == [], errors


def test_a_live_refresh_keeps_the_triage_correction_the_agent_has_open(server: Server, browser: Any) -> None:
    """A live refresh re-renders the timeline (a new message, the background re-scoring): the correction form the
    agent has opened stays open, with the choice made in it (it closed under the agent's hand, and a click on Save
    then met a hidden button)."""
    expect = playwright_sync.expect
    page, errors = _page(server, browser)
    server.simulate("My parcel never arrived, ordered three weeks ago", author="sam-open")
    _open_case(page, server, "parcel never arrived")
    (message,) = _inbound(server)
    triage = page.locator(f"#triage-{message.id}")
    triage.locator("summary").click()
    triage.locator("select[name=correction]").select_option("intent:question")
    server.simulate("Any news about my parcel?", author="sam-open")
    expect(page.locator("#timeline")).to_contain_text("Any news about my parcel?", timeout=20_000)
    expect(page.locator(f"#triage-{message.id} details.tri-correct")).to_have_attribute("open", "")
    expect(page.locator(f"#triage-{message.id} select[name=correction]")).to_have_value("intent:question")
    page.locator(f"#triage-{message.id}").get_by_role("button", name="Save").click()
    expect(page.locator(f"#triage-{message.id} .tri-intent")).to_have_text("Question", timeout=10_000)
    assert errors == [], errors
