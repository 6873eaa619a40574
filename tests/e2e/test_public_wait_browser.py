"""The published expected wait, as a customer opens the snippet's link on a phone (issue 18, defect 13): a page in
their language, no raw JSON, no horizontal overflow; the badge it goes with is an image."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from compris.models import ChannelAccount
from compris.sla import wait
from tests.e2e.test_browser import Server, browser, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _publish(live: Server) -> str:
    world = live.world
    with world.runtime.db.transaction() as s:
        account = s.get(ChannelAccount, world.account.id)
        assert account is not None
        return wait.set_publication(s, account).public_id


@pytest.mark.parametrize(("locale", "heading", "unknown"), [
    ("fr-FR", "Délai de réponse estimé", "Nous ne le savons pas encore"),
    ("en-GB", "Expected response time", "We don't know yet"),
])
def test_the_snippets_link_is_a_page_a_customer_can_read(server: Server, browser: Any, locale: str,  # noqa: F811
                                                         heading: str, unknown: str) -> None:
    public_id = _publish(server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{server.base}/public/wait/{public_id}")
        expect(page.locator("h1")).to_have_text(heading)
        # a new account: no history yet, so no figure
        expect(page.locator(".wait-figure")).to_have_text(unknown)
        expect(page.locator("body")).to_contain_text(server.world.workspace.name)
        assert "expected_wait_seconds" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        badge = page.request.get(f"{server.base}/public/wait/{public_id}.svg")
        assert badge.headers["content-type"].startswith("image/svg+xml")
    finally:
        context.close()
