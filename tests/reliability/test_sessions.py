"""Sessions end on the server (issue 21): a cookie copied before logout, a password change or a deactivation opens
nothing; the id rotates at login; idle and absolute timeouts (with an injected clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.config import Settings
from compris.kit import clock
from compris.models import User, UserSession
from compris.runtime import Runtime
from tests.conftest import World
from tests.web.test_pages import PASSWORD, Agent, csrf_of, customer_writes, login, make_client

pytestmark = pytest.mark.reliability

COOKIE = "compris_session"


def _copy(settings: Settings, runtime: Runtime, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (taken before it signs out)."""
    thief = make_client(settings, runtime)
    value = client.cookies.get(COOKIE)
    assert value
    thief.cookies.set(COOKIE, value)
    return thief


def _signed_out(client: TestClient) -> None:
    """Every way in refuses: a page redirects to the login, HTMX gets 401 + HX-Redirect, the live stream 401."""
    page = client.get("/inbox")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    htmx = client.get("/inbox/rows", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/login"
    live = client.get("/live")
    assert live.status_code == 401 and b"signed-out" in live.content


def _signed_in(client: TestClient) -> None:
    assert client.get("/inbox").status_code == 200


def _sessions(runtime: Runtime, email: str) -> list[UserSession]:
    with runtime.db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        rows = list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                    .order_by(UserSession.id)))
        session.expunge_all()
        return rows


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    """An injected clock: ``frozen[0]`` is now."""
    at = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]
    clock.set_now(lambda: at[0])
    yield at
    clock.set_now(None)


def test_a_cookie_copied_before_logout_opens_nothing(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    thief = _copy(settings, runtime, agent.client)
    _signed_in(thief)  # the copy works while the session lives
    assert agent.post("/logout").headers["location"] == "/login"
    _signed_out(agent.client)
    _signed_out(thief)
    assert all(row.revoked_at is not None for row in _sessions(runtime, world.agent.email))


def test_logout_ends_every_session_of_the_user(settings: Settings, runtime: Runtime, world: World) -> None:
    laptop = Agent(make_client(settings, runtime), world.agent.email)
    phone = Agent(make_client(settings, runtime), world.agent.email)
    colleague = Agent(make_client(settings, runtime), world.admin.email)
    laptop.post("/logout")
    _signed_out(phone.client)
    _signed_in(colleague.client)  # another user's sessions go on


def test_a_password_change_ends_every_session(settings: Settings, runtime: Runtime, world: World) -> None:
    agent = Agent(make_client(settings, runtime), world.agent.email)
    thief = _copy(settings, runtime, agent.client)
    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        accounts.set_password(session, user=user, password="a brand new passphrase", actor_user_id=user.id)
    _signed_out(agent.client)
    _signed_out(thief)
    assert login(make_client(settings, runtime), world.agent.email, "a brand new passphrase").status_code == 303


def test_a_login_rehash_keeps_the_other_sessions(settings: Settings, runtime: Runtime, world: World,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # a hash re-made at the current cost at sign-in is the same password: nobody is signed out
    first = Agent(make_client(settings, runtime), world.agent.email)
    monkeypatch.setattr(accounts.passwords, "needs_rehash", lambda _hash: True)
    Agent(make_client(settings, runtime), world.agent.email)
    _signed_in(first.client)


def test_deactivation_ends_sessions_and_refuses_tokens(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    agent = Agent(client, world.agent.email)
    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        _token, raw = accounts.create_token(session, user, "script")
    api = make_client(settings, runtime)
    assert api.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    with runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        accounts.update_user(session, actor=admin, user_id=world.agent.id, active=False)
    _signed_out(agent.client)
    assert api.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    # reactivated, the old session stays ended: they sign in again
    with runtime.db.transaction() as session:
        admin = session.get(User, world.admin.id)
        assert admin is not None
        accounts.update_user(session, actor=admin, user_id=world.agent.id, active=True)
    _signed_out(agent.client)


def test_the_session_id_rotates_at_login(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    client.get("/login")  # a pre-login session (a CSRF token only)
    before = client.cookies.get(COOKIE)
    assert before
    assert login(client, world.agent.email).status_code == 303
    first = _copy(settings, runtime, client)
    assert client.cookies.get(COOKIE) != before
    # signing in again in the same browser (the login form posted while signed in): a new id, the previous one ends
    again = client.post("/login", data={"email": world.agent.email, "password": PASSWORD,
                                        "csrf_token": csrf_of(client, "/inbox")})
    assert again.status_code == 303
    _signed_in(client)
    _signed_out(first)
    rows = _sessions(runtime, world.agent.email)
    assert len(rows) == 2 and rows[0].revoked_at is not None and rows[1].revoked_at is None
    assert len({row.id_hash for row in rows}) == 2 and all(len(row.id_hash) == 64 for row in rows)
    assert rows[1].user_agent == "testclient" and rows[1].ip == "testclient"


def test_a_forged_or_unknown_session_id_is_nobody(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    client.cookies.set(COOKIE, "not-a-signed-cookie")
    _signed_out(client)


def test_idle_timeout(settings: Settings, runtime: Runtime, world: World, frozen: list[datetime]) -> None:
    idle = timedelta(seconds=settings.session_idle_timeout)
    agent = Agent(make_client(settings, runtime), world.agent.email)
    # activity keeps it alive: each request less than the idle timeout after the previous one
    for _ in range(3):
        frozen[0] += idle - timedelta(minutes=5)
        _signed_in(agent.client)
    seen = _sessions(runtime, world.agent.email)[0].last_seen_at
    assert seen == frozen[0]
    # last_seen_at is written at most once a minute
    frozen[0] += timedelta(seconds=30)
    _signed_in(agent.client)
    assert _sessions(runtime, world.agent.email)[0].last_seen_at == seen
    # then nothing for longer than the idle timeout
    frozen[0] = seen + idle + timedelta(seconds=1)
    _signed_out(agent.client)


def test_absolute_timeout(settings: Settings, runtime: Runtime, world: World, frozen: list[datetime]) -> None:
    absolute = timedelta(seconds=settings.session_absolute_timeout)
    start = frozen[0]
    agent = Agent(make_client(settings, runtime), world.agent.email)
    while frozen[0] + timedelta(hours=6) < start + absolute:
        frozen[0] += timedelta(hours=6)
        _signed_in(agent.client)
    frozen[0] = start + absolute
    _signed_out(agent.client)
    assert _sessions(runtime, world.agent.email)[0].expires_at == start + absolute


def test_case_pages_and_actions_follow_the_revocation(settings: Settings, runtime: Runtime, world: World) -> None:
    client = make_client(settings, runtime)
    customer_writes(client, world, "Hello")
    agent = Agent(client, world.agent.email)
    thief = _copy(settings, runtime, client)
    agent.post("/logout")
    assert thief.get("/cases/1").status_code == 303
    forged = thief.post("/cases/1/read", headers={"X-CSRF-Token": agent.csrf, "HX-Request": "true"})
    assert forged.status_code == 401


def test_housekeeping_drops_sessions_ended_a_month_ago(settings: Settings, runtime: Runtime, world: World,
                                                       frozen: list[datetime]) -> None:
    from compris.worker.queue import JobRun
    from compris.worker.tasks import purge

    old = Agent(make_client(settings, runtime), world.agent.email)
    old.post("/logout")
    frozen[0] += timedelta(days=31)
    Agent(make_client(settings, runtime), world.agent.email)
    purge(JobRun(runtime.services, job_id=0, workspace_id=0, payload={}, attempt=1))
    rows = _sessions(runtime, world.agent.email)
    assert len(rows) == 1 and rows[0].revoked_at is None


def test_an_open_live_stream_ends_when_its_session_ends(runtime: Runtime, world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio
    from fastapi import Request

    from compris.web import live

    monkeypatch.setattr(live, "SESSION_CHECK_SECONDS", 0.0)
    with runtime.db.transaction() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        raw = accounts.start_session(session, user, lifetime=timedelta(days=1))

    async def receive() -> dict[str, str]:
        await anyio.sleep(60)
        return {"type": "http.disconnect"}

    app = type("App", (), {"state": type("State", (), {"runtime": runtime})()})()
    request = Request({"type": "http", "method": "GET", "path": "/live", "headers": [], "query_string": b"",
                       "client": ("203.0.113.1", 1), "app": app, "session": {"sid": raw}}, receive)

    async def scenario() -> list[Any]:
        response = await live.live(request)
        assert response.status_code == 200
        chunks = aiter(response.body_iterator)
        first = await anext(chunks)
        with runtime.db.transaction() as session:  # logout elsewhere while the stream is open
            accounts.logout(session, raw)
        with anyio.fail_after(10):  # without the check the stream would run on
            return [first] + [chunk async for chunk in chunks]

    chunks = anyio.run(scenario)
    assert chunks[0].startswith(b"retry:")
    assert chunks[-1] == b"event: signed-out\ndata: {}\n\n"


def test_compris_set_password_ends_the_sessions(settings: Settings, runtime: Runtime, world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from compris import cli

    agent = Agent(make_client(settings, runtime), world.agent.email)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    runner = CliRunner()
    short = runner.invoke(cli.app, ["set-password", world.agent.email], input="short\nshort\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    _signed_in(agent.client)
    unknown = runner.invoke(cli.app, ["set-password", "nobody@acme.test"], input="a long new one!\na long new one!\n")
    assert unknown.exit_code == 2
    done = runner.invoke(cli.app, ["set-password", world.agent.email.upper()],
                         input="a long new one!\na long new one!\n")
    assert done.exit_code == 0, done.output
    _signed_out(agent.client)
    assert login(make_client(settings, runtime), world.agent.email, "a long new one!").status_code == 303
