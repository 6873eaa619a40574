"""``/api/docs`` in a real browser (issue 18, defect 3): the explorer was blank because the Content-Security-Policy
blocked Swagger UI loaded from a CDN. It is now served from ``static/vendor/swagger-ui`` with a start-up script
file, under the same strict policy, and lists the API's operations; nothing is fetched from another host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_browser import SHOTS, Server, browser, server  # noqa: F401

pytestmark = pytest.mark.browser


def test_api_docs_lists_the_operations_from_vendored_files(server: Server, browser: Any) -> None:  # noqa: F811
    import playwright.sync_api as playwright_sync

    expect = playwright_sync.expect
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    hosts: set[str] = set()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))

    response = page.goto(f"{server.base}/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Compris API", timeout=20_000)
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = {(text or "").replace("\u200b", "") for text in operations.all_inner_texts()}
    assert "/api/v1/cases" in paths, sorted(paths)[:10]
    assert operations.count() >= 10
    assert hosts == {urlsplit(server.base).netloc}, f"requests to other hosts: {hosts}"
    assert not problems, problems
    page.screenshot(path=str(SHOTS / "admin-api-docs.png"))
    context.close()


def test_redoc_is_not_served(server: Server) -> None:  # noqa: F811
    import httpx

    assert httpx.get(f"{server.base}/api/redoc", timeout=10).status_code == 404
