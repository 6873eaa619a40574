"""A business action run from the case page in a real browser, at phone and desktop widths (``-m browser``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from compris.business.standin import StandIn
from compris.config import Settings
from tests.business.helpers import flight, make_action
from tests.e2e.test_browser import SHOTS, Server, _sign_in, browser, playwright_sync, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, shared with the other browser tests


@pytest.fixture(autouse=True)
def local_endpoints(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "allow_local_http_endpoints", True)  # before the server copies the settings


@pytest.fixture
def standin() -> Iterator[StandIn]:
    stand_in = StandIn("x", flight).start()
    yield stand_in
    stand_in.stop()


@pytest.mark.parametrize("width", [390, 1440])
def test_an_agent_runs_rebook_from_the_case_and_sees_the_result_live(server: Server, browser: Any,
                                                                    standin: StandIn, width: int) -> None:
    expect = playwright_sync.expect
    _, standin.secret = make_action(server.world, standin.url())
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server, server.world.agent.email)
    server.simulate("My flight was cancelled, booking reference K7XQ2M, please rebook me", author="ana-lima",
                    kind="dm")
    row = page.locator("#rows .case-row", has_text="booking reference")
    expect(row).to_be_visible(timeout=20_000)
    page.goto(f"{server.base}/cases/{row.get_attribute('data-number')}")
    if width < 700:  # a phone shows one pane at a time: the case panel is the "Customer and case" tab
        page.locator("[data-case-tab=side]").click()
    panel = page.locator("#business-actions")
    expect(panel).to_be_visible()
    # open the action from the keyboard
    page.locator("#business-action-rebook summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ba-rebook-record_locator")).to_have_value("K7XQ2M")
    expect(page.locator("#ba-rebook-passenger")).to_have_value("Ana Lima")
    page.fill("#ba-rebook-flight_date", "2026-12-24")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"compris-business-action-{width}.png"), full_page=True)
    page.locator("#business-action-rebook button[type=submit]").click()
    # the result lands on the timeline live (the worker calls the stand-in)
    expect(page.locator("#timeline")).to_contain_text("Rebook succeeded", timeout=20_000)
    expect(page.locator("#timeline .business-result")).to_contain_text("AF1234")
    assert len(standin.seen) == 1 and standin.seen[0].signature_ok
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"compris-business-result-{width}.png"), full_page=True)
    assert errors == []
    context.close()
