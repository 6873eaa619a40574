"""Issue 18, defect 7: an unknown URL answered raw JSON ``{"detail":"Not Found"}``. Pages answer the product's
error page (the top bar when signed in, a link back to the inbox, in the user's language), for 404, 405 and other
HTTP errors; the API, webhooks and clients asking for JSON keep JSON."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update

from compris.config import Settings
from compris.models import User
from compris.runtime import Runtime
from compris.web import app as app_module
from compris.web import deps
from tests.conftest import World
from tests.web.test_pages import Agent, make_client

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_unknown_url_signed_in_shows_the_error_page_with_the_top_bar(
    settings: Settings, runtime: Runtime, world: World
) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)

    response = agent.get("/no/such/page", headers=BROWSER)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    assert 'href="/inbox"' in response.text and "Back to the inbox" in response.text
    assert world.agent.name in response.text  # the top bar shows who is signed in
    assert "detail" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_unknown_url_in_the_users_language(settings: Settings, runtime: Runtime, world: World) -> None:
    with runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == world.agent.id).values(language="fr"))
    agent = Agent(make_client(settings, runtime), world.agent.email)

    response = agent.get("/nulle-part", headers=BROWSER)

    assert response.status_code == 404
    assert "Introuvable" in response.text
    assert "Retour à la boîte de réception" in response.text
    assert "Back to the inbox" not in response.text


def test_unknown_url_anonymous_follows_the_browser_language(settings: Settings, runtime: Runtime) -> None:
    client = make_client(settings, runtime)

    response = client.get("/nowhere", headers={**BROWSER, "Accept-Language": "fr-FR,fr;q=0.9"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Retour à la boîte de réception" in response.text
    # an error page starts no session: no cookie for a partner on the portal or a customer on a survey page
    assert "set-cookie" not in response.headers and not client.cookies


def test_a_plain_client_without_accept_gets_the_page(settings: Settings, runtime: Runtime) -> None:
    response = make_client(settings, runtime).get("/nowhere", headers={"Accept": "*/*"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_wrong_method_on_a_page_shows_the_error_page(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)

    response = agent.client.put("/inbox", headers=BROWSER)

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "This address does not accept this kind of request." in response.text
    assert "allow" in {k.lower() for k in response.headers}


def test_json_stays_for_the_api(settings: Settings, runtime: Runtime) -> None:
    client = make_client(settings, runtime)

    for path in ("/api/v1/no-such-thing", "/webhooks/no/such"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code in (404, 405), path
        assert response.headers["content-type"].startswith("application/json"), path


def test_json_for_a_client_that_asks_for_it(settings: Settings, runtime: Runtime) -> None:
    response = make_client(settings, runtime).get("/nowhere", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_htmx_requests_keep_json(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)

    response = agent.get("/nowhere", headers={**BROWSER, "HX-Request": "true"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_the_error_page_looks_the_user_up_off_the_event_loop(settings: Settings, runtime: Runtime, world: World,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The look-up takes a database transaction (on SQLite, the process's write lock). On the event loop it blocked
    the whole server, and a request holding the lock could not finish its transaction meanwhile: a signed-in 404
    froze every request for up to 30 s (seen in tests/e2e/test_desk_defects_browser.py)."""
    looked_up: list[bool] = []

    def session_user(request: Any, session: Any) -> Any:
        try:
            asyncio.get_running_loop()
            looked_up.append(True)  # on the event loop's thread
        except RuntimeError:
            looked_up.append(False)
        return deps.session_user(request, session)

    monkeypatch.setattr(app_module, "session_user", session_user)
    agent = Agent(make_client(settings, runtime), world.agent.email)

    for method, path, status in (("GET", "/no/such/page", 404), ("PUT", "/inbox", 405)):
        response = agent.client.request(method, path, headers=BROWSER)
        assert response.status_code == status
        assert world.agent.name in response.text  # the top bar: the user was found

    assert looked_up == [False, False]
