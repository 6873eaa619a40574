"""The survey page on a phone (390 px, Debian's Chromium): a French customer taps 4 stars, writes a comment and
sees the thanks; a one-click e-mail link sends its rating by itself once shown (and only once)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from compris.models import CaseEvent
from tests.e2e.test_browser import SHOTS, Server, browser, playwright_sync, server  # noqa: F401 (fixtures)
from tests.surveys.results_world import a_case, add_survey, link, survey

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "fr-FR"}


def _phone(browser: Any) -> tuple[Any, list[str]]:  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return page, problems


def test_a_customer_rates_4_stars_and_comments_in_french(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    world = server.world
    sid = add_survey(world, a_case(world), language="fr")
    page, problems = _phone(browser)
    page.goto(server.base + link(world, sid))
    expect(page.locator(".survey-brand")).to_have_text("Acme")
    expect(page.locator("legend")).to_contain_text("Êtes-vous satisfait(e)")
    star = page.locator("label[for=rating-4]")
    box = star.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44  # a finger-sized target
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    star.tap()
    expect(page.locator("#rating-4")).to_be_checked()
    page.fill("#comment", "Très rapide, merci à l'équipe <3")
    page.screenshot(path=str(SHOTS / "compris-survey-phone.png"), full_page=True)
    page.get_by_role("button", name="Envoyer").tap()
    expect(page.locator("h1")).to_have_text("Merci !")
    expect(page.locator(".survey-comment")).to_have_text("Très rapide, merci à l'équipe <3")
    expect(page.locator(".answer-text")).to_have_text("4 sur 5")
    page.screenshot(path=str(SHOTS / "compris-survey-thanks.png"), full_page=True)
    row = survey(world, sid)
    assert (row.rating, row.comment, row.answered_via) == (4, "Très rapide, merci à l'équipe <3", "link")
    assert not problems, problems  # no script error, no CSP violation


def test_a_one_click_link_records_its_rating_once(server: Server, browser: Any) -> None:  # noqa: F811
    expect = playwright_sync.expect
    world = server.world
    sid = add_survey(world, a_case(world), language="fr")
    path = server.base + link(world, sid, rating=5)
    page, problems = _phone(browser)
    page.goto(path)
    expect(page.locator("h1")).to_have_text("Merci pour votre note !")  # sent by itself, then the comment box
    expect(page.locator(".answer-text")).to_have_text("5 sur 5")
    page.goto(path)  # opened again: shows the answer, sends nothing
    expect(page.locator("#comment")).to_be_visible()
    page.fill("#comment", "Parfait")
    page.get_by_role("button", name="Envoyer mon commentaire").tap()
    expect(page.locator("h1")).to_have_text("Merci !")
    row = survey(world, sid)
    assert (row.rating, row.answered_via, row.comment) == (5, "email", "Parfait")
    with server.runtime.db.transaction() as session:
        assert len(session.scalars(select(CaseEvent).where(CaseEvent.kind == "survey_answered")).all()) == 1
    assert not problems, problems
