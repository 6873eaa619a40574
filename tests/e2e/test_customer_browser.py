"""The customer panel in a real browser (issue 18): a "probably the same customer" suggestion shows on a case with
its reason, one click merges the two contacts (and folds the other open case in), "split off" undoes it; a note
about the customer is added and shown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from compris.models import Case, Contact
from tests.e2e.test_browser import (  # noqa: F401 (fixtures)
    BRAND,
    SHOTS,
    Server,
    _eventually,
    _sign_in,
    browser,
    playwright_sync,
    server,
)

pytestmark = pytest.mark.browser


def _simulate(server: Server,  # noqa: F811
              text: str, author: str, kind: str = "post") -> None:
    """As ``Server.simulate``, with a longer wait (the machine may be busy)."""
    body = {"brand": BRAND, "kind": kind, "text": text,
            "author": {"id": author, "handle": f"@{author}", "name": author, "followers": 10, "verified": False}}
    response = httpx.post(f"{server.base}/sandbox-network/api/simulate", json=body, timeout=60)
    assert response.status_code == 200, response.text


def _case_numbers(server: Server) -> list[int]:  # noqa: F811
    with server.runtime.db.transaction() as session:
        return list(session.scalars(select(Case.number).where(Case.workspace_id == server.world.workspace_id)
                                    .order_by(Case.number)))


def test_a_suggestion_shows_one_click_merges_and_split_off_undoes_it(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    expect.set_options(timeout=30_000)  # a busy machine
    _simulate(server, "Day 3 without my bag. File reference LIS-AC-77120", "marcus-x")
    _simulate(server, "Marcus again, in private: file LIS-AC-77120, call me", "marcus-wa", kind="dm")
    _eventually(lambda: len(_case_numbers(server)) == 2, message="both messages open a case")
    first, second = _case_numbers(server)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    _sign_in(page, server, server.world.agent.email)
    page.goto(f"{server.base}/cases/{second}")
    panel = page.locator("#customer")
    expect(panel.locator(".same-customer")).to_contain_text("both quote LIS-AC-77120")
    page.screenshot(path=str(SHOTS / "customer-suggestion.png"), full_page=True)

    panel.locator("[data-action=same-merge]").click()
    expect(page.locator("#customer .same-customer")).to_have_count(0)
    expect(page.locator("#customer .identity")).to_have_count(2)
    with server.runtime.db.transaction() as session:
        merged = session.scalars(select(Contact).where(Contact.workspace_id == server.world.workspace_id,
                                                       Contact.merged_into_id.is_not(None))).all()
        assert len(merged) == 1
        assert session.scalar(select(Case.status).where(Case.workspace_id == server.world.workspace_id,
                                                        Case.number == first)) == "closed"

    page.locator("#customer-note-new").fill("Gold member <b>VIP</b>")
    page.locator("[data-action=note-add]").click()
    expect(page.locator("#customer .customer-note .note-text")).to_have_text("Gold member <b>VIP</b>")

    page.locator("#customer [data-action=unmerge]").first.click()
    expect(page.locator("#customer .identity")).to_have_count(1)
    expect(page.locator("#customer .same-customer")).to_contain_text("both quote LIS-AC-77120")
    page.screenshot(path=str(SHOTS / "customer-after-split.png"), full_page=True)
