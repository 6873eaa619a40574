"""API tokens, "Your sessions" and the instance's workspaces in Chromium: the token shown once and copied, and at
1,440 px and 390 px, in English and French, nothing overflows."""

from __future__ import annotations

from typing import Any

import pytest

from compris.accounts import actions as accounts
from compris.models import User
from tests.e2e.test_browser import Server, _sign_in, browser, playwright_sync, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PAGES = ("/settings/tokens", "/settings/sessions", "/instance/workspaces")


def _prepare(live: Server, language: str) -> None:
    with live.runtime.db.transaction() as session:
        admin = session.get(User, live.world.admin.id)
        agent = session.get(User, live.world.agent.id)
        assert admin is not None and agent is not None
        admin.instance_admin = True
        admin.language = language
        accounts.create_token(session, admin, "nightly export to the data warehouse", scopes="read",
                              expires_in_days=3)
        accounts.create_token(session, agent, "CRM sync", scopes="write")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_fit_and_the_token_is_shown_once(server: Server, browser: Any, language: str) -> None:  # noqa: F811
    expect = playwright_sync.expect
    _prepare(server, language)
    errors: list[str] = []
    for width, height in ((1440, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, server, server.world.admin.email)
        for path in PAGES:
            page.goto(f"{server.base}{path}")
            page.screenshot(path=f"/tmp/compris-{path.strip('/').replace('/', '-')}-{language}-{width}.png",  # noqa: S108
                            full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (path, width)
        # create a token: shown once, with its warning and a copy button that selects it
        page.goto(f"{server.base}/settings/tokens")
        page.fill("#token-name", "deploy bot")
        page.check("input[name=scope][value=read]")
        page.select_option("#token-expiry", "30")
        page.locator("form[action='/settings/tokens'] button[type=submit]").click()
        expect(page.locator("#token-created")).to_be_visible()
        token = page.locator("#new-token").input_value()
        assert token.startswith("cpr_")
        page.locator("[data-copy='#new-token']").click()
        assert page.evaluate("(() => { const i = document.querySelector('#new-token');"
                             " return i.selectionStart === 0 && i.selectionEnd === i.value.length; })()")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), ("created", width)
        page.goto(f"{server.base}/settings/tokens")  # a new visit: the list, never the token
        expect(page.locator("#my-tokens")).to_contain_text("deploy bot")
        assert token not in page.content()
        context.close()
    assert errors == []
