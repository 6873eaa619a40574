"""Threads and context in a real browser: the post a case's comment is under shows above the conversation, its
"Comments on this post" link opens the inbox filtered on it, and at 390 px wide nothing overflows.

Run: ``.venv/bin/pytest -m browser tests/e2e/test_posts_browser.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.test_browser import SHOTS, Server, _sign_in, browser, server

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests

POST_TEXT = ("Nouveau : vos achats de la Boutique à bord livrés chez vous en 48 h ! Un très long texte de "
             "publication_sans_espaces_pour_voir_si_la_page_deborde_sur_un_telephone_de_390_pixels_de_large.")


def _comment(server: Server, text: str, author: str) -> None:
    world = server.world
    post = {"id": "p-shop", "author": {"id": world.account.external_id, "brand": True, "name": "Acme"},
            "text": POST_TEXT, "created_at": "2026-03-14T08:00:00+00:00",
            "permalink": "https://sandbox.example/p/p-shop"}
    raw, headers = world.body(world.payload(text, kind="comment", author=author, thread="p-shop", post=post))
    answer = httpx.post(f"{server.base}/webhooks/{world.account.id}", content=raw, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_post_above_the_case_and_its_comments_in_the_inbox(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    for author, text in (("lea", "Toujours pas reçu ma commande"), ("marc", "Colis perdu depuis lundi"),
                         ("sam", "Where is my parcel??")):
        _comment(server, text, author)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, server, server.world.agent.email)
    expect(page.locator("#rows")).to_contain_text("Where is my parcel", timeout=20_000)
    page.goto(f"{server.base}/cases/1")
    post = page.locator(".case-post")
    expect(post).to_contain_text("Comments on a post by Acme")
    expect(post).to_contain_text("Nouveau : vos achats de la Boutique")
    expect(post.get_by_role("link", name="Open the post")).to_have_attribute("href", "https://sandbox.example/p/p-shop")
    post.get_by_role("link", name="Comments on this post (3 cases)").click()
    page.wait_for_url(f"{server.base}/inbox?post=*")
    expect(page.locator(".post-filter")).to_contain_text("3 cases commenting on")
    expect(page.locator("#rows .c-number")).to_have_count(3)
    page.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    _sign_in(mobile, server, server.world.agent.email)
    for path, shot in (("/cases/2", "compris-case-post-390.png"), ("/inbox?post=1&status=all",
                                                                   "compris-inbox-post-390.png"),
                       ("/posts", "compris-posts-390.png")):
        mobile.goto(f"{server.base}{path}")
        mobile.screenshot(path=str(SHOTS / shot), full_page=True)
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    phone.close()
