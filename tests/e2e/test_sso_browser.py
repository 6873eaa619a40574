"""Single sign-on in a real browser (Debian's Chromium through Playwright): Compris served by uvicorn, the stand-in
provider on its own port, its sign-in form filled in like a person would. Screenshots go to ``$COMPRIS_SCREENSHOTS``
(default: /tmp)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from compris.accounts import oidc
from compris.config import Settings
from compris.runtime import Runtime
from compris.sso_standin import StandInProvider
from compris.web.app import create_app
from tests.conftest import World
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("COMPRIS_SCREENSHOTS", "/tmp"))  # noqa: S108 (screenshots to look at)

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
import playwright.sync_api as playwright_sync  # noqa: E402 (after the browser check)


@pytest.fixture
def compris(settings: Settings, world: World) -> Iterator[tuple[str, StandInProvider]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    provider = StandInProvider(redirect_uris=(f"{base}/sso/callback",)).start()
    oidc.clear_cache()
    live = settings.model_copy(update={
        "base_url": base, "oidc_issuer": provider.issuer, "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret, "oidc_name": "Stand-in", "allow_local_http_endpoints": True})
    runtime = Runtime.create(live)
    server = uvicorn.Server(uvicorn.Config(create_app(live, runtime, workers=0), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="uvicorn-sso-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield base, provider
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        with contextlib.suppress(Exception):
            runtime.stop()
        provider.stop()
        oidc.clear_cache()


def no_horizontal_overflow(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_sign_in_with_the_button_and_the_providers_form(compris: tuple[str, StandInProvider], world: World) -> None:
    base, provider = compris
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            labels = {"en": "Sign in with Stand-in", "fr": "Se connecter avec Stand-in"}
            for lang, width in [("en", 1440), ("fr", 390), ("en", 390), ("fr", 1440)]:
                label = labels[lang]
                context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                              extra_http_headers={"Accept-Language": lang})
                page = context.new_page()
                page.goto(f"{base}/login")
                assert page.get_by_role("link", name=label).is_visible()
                assert no_horizontal_overflow(page), (lang, width)
                page.screenshot(path=str(SHOTS / f"sso-login-{lang}-{width}.png"), full_page=True)
                context.close()

            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{base}/login?next=/settings/tokens")
            page.get_by_role("link", name="Sign in with Stand-in").click()
            page.wait_for_url(f"{provider.issuer}/authorize**")
            page.get_by_label("E-mail", exact=True).fill(world.agent.email)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/settings/tokens")
            assert provider.token_requests[-1].pkce_ok and provider.token_requests[-1].client_ok
            page.goto(f"{base}/inbox")
            assert page.url == f"{base}/inbox"

            # someone Compris does not know: back on the login page, told why, password form still there
            stranger = browser.new_page(viewport={"width": 390, "height": 900})
            stranger.goto(f"{base}/login")
            stranger.get_by_role("link", name="Sign in with Stand-in").click()
            stranger.wait_for_url(f"{provider.issuer}/authorize**")
            stranger.get_by_label("E-mail", exact=True).fill("stranger@acme.test")
            stranger.get_by_role("button", name="Sign in").click()
            stranger.wait_for_url(f"{base}/sso/callback**")
            assert "No Compris account matches you" in stranger.get_by_role("alert").inner_text()
            assert stranger.locator('input[name="password"]').is_visible()
            assert no_horizontal_overflow(stranger)
            stranger.screenshot(path=str(SHOTS / "sso-refused-en-390.png"), full_page=True)
        finally:
            browser.close()
