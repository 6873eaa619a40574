"""Single sign-on through the pages: the login page's button, /sso/login and /sso/callback, driven like a browser
between Compris (TestClient) and the stand-in provider (a real server on a local port)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from compris.accounts.actions import update_user
from compris.config import Settings
from compris.models import User
from compris.runtime import Runtime
from compris.sso_standin import Person, StandInProvider
from compris.web.app import create_app
from tests.accounts.sso_fixtures import CALLBACK, fresh_fixture, provider_fixture  # noqa: F401 (fixtures)
from tests.conftest import World
from tests.web.test_pages import csrf_of, login


def with_sso(settings: Settings, issuer: str, **more: Any) -> Settings:
    return settings.model_copy(update={
        "oidc_issuer": issuer, "oidc_client_id": "compris", "oidc_client_secret": "standin-secret",
        "oidc_name": "Stand-in", "allow_local_http_endpoints": True, **more})


@pytest.fixture
def settings(settings: Settings, provider: StandInProvider) -> Settings:
    return with_sso(settings, provider.issuer)


def client_of(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime.settings, runtime, workers=0), follow_redirects=False)


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return client_of(runtime)


def to_provider(client: TestClient, next_: str = "/inbox") -> str:
    """Click "Sign in with Stand-in": the provider's authorization URL."""
    response = client.get("/sso/login", params={"next": next_})
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def at_provider(url: str) -> str:
    """The browser at the provider (it approves at once): where it is sent back to."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return location


def sso_round_trip(client: TestClient, next_: str = "/inbox") -> Any:
    return client.get(at_provider(to_provider(client, next_)).removeprefix("http://testserver"))


def alert(page: Any) -> str:
    found = re.findall(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S)
    return html.unescape(" ".join(found))


def test_the_login_page_offers_single_sign_on_beside_the_password(client: TestClient, world: World) -> None:
    page = client.get("/login?next=/settings/tokens")
    assert page.status_code == 200
    assert "Sign in with Stand-in" in page.text and 'href="/sso/login?next=%2Fsettings%2Ftokens"' in page.text
    assert 'name="password"' in page.text
    french = client.get("/login", headers={"Accept-Language": "fr"})
    assert "Se connecter avec Stand-in" in french.text


def test_a_full_sign_in_links_the_user_by_verified_email_and_rotates_the_session(
        client: TestClient, runtime: Runtime, world: World, provider: StandInProvider) -> None:
    before = csrf_of(client, "/login")
    url = to_provider(client, "/settings/tokens")
    assert url.startswith(f"{provider.issuer}/authorize?") and "code_challenge_method=S256" in url
    done = client.get(at_provider(url).removeprefix("http://testserver"))
    assert done.status_code == 303 and done.headers["location"] == "/settings/tokens"
    assert client.get("/inbox").status_code == 200
    assert csrf_of(client, "/inbox") != before  # a new session and CSRF token
    assert provider.token_requests[-1].pkce_ok and provider.token_requests[-1].client_ok
    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None and (user.oidc_issuer, user.oidc_subject) == (
            provider.issuer, Person(email="agent@acme.test").sub())
    # a second time: by the link; logging out and in again works
    fresh_client = client_of(runtime)
    assert sso_round_trip(fresh_client).headers["location"] == "/inbox"
    assert fresh_client.get("/inbox").status_code == 200


def test_the_callback_url_cannot_be_replayed(client: TestClient, world: World) -> None:
    back = at_provider(to_provider(client)).removeprefix("http://testserver")
    assert client.get(back).status_code == 303
    other = TestClient(client.app, follow_redirects=False)
    replay = other.get(back)
    assert replay.status_code == 400 and "could not be trusted" in alert(replay)
    assert other.get("/inbox").status_code == 303  # not signed in


def test_a_tampered_state_is_refused(client: TestClient, world: World, provider: StandInProvider) -> None:
    back = at_provider(to_provider(client)).removeprefix("http://testserver")
    tampered = re.sub(r"state=([^&]+)", lambda m: "state=" + m.group(1)[::-1], back)
    response = client.get(tampered)
    assert response.status_code == 400 and "could not be trusted" in alert(response)
    assert provider.token_requests == []  # the code never left Compris
    assert client.get("/inbox").status_code == 303


@pytest.mark.parametrize("fault", ["wrong_nonce", "wrong_audience", "expired", "bad_signature"])
def test_a_bad_id_token_is_refused(client: TestClient, world: World, provider: StandInProvider,
                                   fault: str) -> None:
    provider.faults.add(fault)
    response = sso_round_trip(client)
    assert response.status_code == 401 and "could not be trusted" in alert(response)
    assert "Sign in with Stand-in" in response.text and 'name="password"' in response.text
    assert client.get("/inbox").status_code == 303


def test_cancelled_at_the_provider(client: TestClient, world: World, provider: StandInProvider) -> None:
    provider.faults.add("deny")
    response = sso_round_trip(client)
    assert response.status_code == 400 and "cancelled" in alert(response)


def test_an_unverified_email_is_refused(client: TestClient, world: World, provider: StandInProvider) -> None:
    provider.person = Person(email="agent@acme.test", email_verified=False)
    response = sso_round_trip(client)
    assert response.status_code == 403 and "not verified your e-mail" in alert(response)
    assert client.get("/inbox").status_code == 303


def test_an_unknown_person_is_refused(client: TestClient, world: World, provider: StandInProvider) -> None:
    provider.person = Person(email="stranger@acme.test")
    response = sso_round_trip(client)
    assert response.status_code == 403 and "Ask an admin to invite you" in alert(response)
    french = client.get(at_provider(to_provider(client)).removeprefix("http://testserver"),
                        headers={"Accept-Language": "fr"})
    assert french.status_code == 403 and "Demandez" in alert(french)


def test_a_deactivated_user_is_refused(client: TestClient, runtime: Runtime, world: World) -> None:
    assert sso_round_trip(client).status_code == 303  # linked while active
    with runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        update_user(session, actor=admin, user_id=world.agent.id, active=False)
    assert client.get("/inbox").status_code == 303  # signed out at once
    response = sso_round_trip(client)
    assert response.status_code == 403 and "deactivated" in alert(response)


def test_the_provider_down_leaves_password_login_working(settings: Settings, world: World) -> None:
    with StandInProvider() as gone:
        issuer = gone.issuer  # nobody listens there any more
    runtime = Runtime.create(with_sso(settings, issuer))
    try:
        client = client_of(runtime)
        assert "Sign in with Stand-in" in client.get("/login").text
        response = client.get("/sso/login")
        assert response.status_code == 503 and "unavailable right now" in alert(response)
        page = client.get("/login")  # remembered: said at once, the provider is not asked on each page
        assert page.status_code == 200 and "unavailable right now" in alert(page)
        assert login(client, world.agent.email).status_code == 303
        assert client.get("/inbox").status_code == 200
    finally:
        runtime.stop()


def test_password_login_can_be_turned_off(settings: Settings, world: World) -> None:
    runtime = Runtime.create(settings.model_copy(update={"oidc_password_login": False}))
    try:
        client = client_of(runtime)
        page = client.get("/login")
        assert page.status_code == 200 and "Sign in with Stand-in" in page.text
        assert 'name="password"' not in page.text
        refused = login(client, world.agent.email)
        assert refused.status_code == 403 and "turned off" in alert(refused)
        assert client.get("/inbox").status_code == 303
        assert sso_round_trip(client).status_code == 303  # single sign-on still signs in
    finally:
        runtime.stop()


def test_without_configuration_there_is_no_single_sign_on(settings: Settings, world: World) -> None:
    runtime = Runtime.create(settings.model_copy(update={"oidc_issuer": "", "oidc_password_login": False}))
    try:
        client = client_of(runtime)
        page = client.get("/login")
        assert "/sso/login" not in page.text and 'name="password"' in page.text
        assert client.get("/sso/login").status_code == 404
        assert client.get("/sso/callback?code=x&state=y").status_code == 404
        assert login(client, world.agent.email).status_code == 303  # passwords stay on without SSO
    finally:
        runtime.stop()


def test_an_unsafe_next_is_ignored(client: TestClient, world: World) -> None:
    assert sso_round_trip(client, "https://evil.test/").headers["location"] == "/inbox"


def test_an_admin_unlinks_a_user(client: TestClient, runtime: Runtime, world_factory: Any, world: World) -> None:
    from tests.web.test_pages import Agent

    assert sso_round_trip(client).status_code == 303  # the agent is linked
    other = world_factory("globex")
    admin = Agent(client_of(runtime), world.admin.email)
    agent = Agent(client_of(runtime), world.agent.email)
    outsider = Agent(client_of(runtime), other.admin.email)
    assert agent.post(f"/admin/people/{world.agent.id}/sso/unlink").status_code == 403
    assert outsider.post(f"/admin/people/{world.agent.id}/sso/unlink").status_code == 404
    assert admin.post(f"/admin/people/{world.agent.id}/sso/unlink", csrf=False).status_code == 403  # CSRF
    with runtime.db.transaction() as session:
        assert session.get(User, world.agent.id).oidc_subject is not None  # type: ignore[union-attr]
    response = admin.post(f"/admin/people/{world.agent.id}/sso/unlink")
    assert response.status_code == 303 and response.headers["location"] == "/admin/people"
    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None and (user.oidc_issuer, user.oidc_subject) == (None, None)
    assert sso_round_trip(client_of(runtime)).status_code == 303  # linked again by the verified e-mail
