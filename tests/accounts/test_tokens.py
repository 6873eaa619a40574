"""API tokens' scopes and expiry, and "Your sessions" (accounts.actions / accounts.queries)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.accounts import actions as accounts
from compris.accounts import queries
from compris.kit.clock import set_now
from compris.kit.errors import Invalid, NotFound
from compris.models import ApiToken, User, UserSession
from tests.conftest import World

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    at = [T0]
    set_now(lambda: at[0])
    yield at
    set_now(None)


def _user(session: Session, user: User) -> User:
    row = session.get(User, user.id)
    assert row is not None
    return row


def test_scopes_are_normalised_and_bounded_by_the_role(world: World) -> None:
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        admin = _user(session, world.admin)
        assert accounts.create_token(session, agent, "r", scopes="read")[0].scopes == "read"
        assert accounts.create_token(session, agent, "w", scopes=["write"])[0].scopes == "read write"
        assert accounts.create_token(session, admin, "a", scopes="admin")[0].scopes == "read write admin"
        # left out: the broadest the role allows (as tokens had before scopes)
        assert accounts.create_token(session, agent, "d")[0].scopes == "read write"
        assert accounts.create_token(session, admin, "d")[0].scopes == "read write admin"
        with pytest.raises(Invalid, match="'admin' scope"):
            accounts.create_token(session, agent, "x", scopes="admin")
        with pytest.raises(Invalid, match="unknown scope"):
            accounts.create_token(session, agent, "x", scopes="root")
        with pytest.raises(Invalid, match="at least one scope"):
            accounts.create_token(session, agent, "x", scopes=[])
        # a token never makes a stronger one
        with pytest.raises(Invalid, match="more scopes than its own"):
            accounts.create_token(session, admin, "x", scopes="admin", within_scopes="read write")
        assert accounts.create_token(session, admin, "x", scopes="read", within_scopes="read")[0].scopes == "read"
        # an instance admin who is not a workspace admin may hold admin (the instance routes need it)
        agent.instance_admin = True
        assert accounts.create_token(session, agent, "i", scopes="admin")[0].scopes == "read write admin"


def test_expiry_in_days_or_at_a_date(world: World, clock: list[datetime]) -> None:
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        assert accounts.create_token(session, agent, "n")[0].expires_at is None
        assert accounts.create_token(session, agent, "d", expires_in_days=30)[0].expires_at == T0 + timedelta(days=30)
        at = T0 + timedelta(days=3, hours=2)
        assert accounts.create_token(session, agent, "a", expires_at=at)[0].expires_at == at
        for bad in ({"expires_in_days": 0}, {"expires_in_days": 4000}, {"expires_at": T0 - timedelta(seconds=1)},
                    {"expires_at": T0 + timedelta(days=1), "expires_in_days": 1},
                    {"expires_at": datetime(2027, 1, 1)}):  # noqa: DTZ001 (naive on purpose)
            with pytest.raises(Invalid):
                accounts.create_token(session, agent, "bad", **bad)  # type: ignore[arg-type]


def test_an_expired_token_stops_working_and_last_use_is_noted(world: World, clock: list[datetime]) -> None:
    with world.runtime.db.transaction() as session:
        token, raw = accounts.create_token(session, _user(session, world.agent), "t", expires_in_days=1)
        token_id = token.id
        assert token.last_used_at is None
    with world.runtime.db.transaction() as session:
        assert accounts.user_for_token(session, raw) is not None
        assert session.get(ApiToken, token_id).last_used_at == T0  # type: ignore[union-attr]
    clock[0] = T0 + timedelta(seconds=30)  # at most once a minute
    with world.runtime.db.transaction() as session:
        assert accounts.user_for_token(session, raw) is not None
        assert session.get(ApiToken, token_id).last_used_at == T0  # type: ignore[union-attr]
    clock[0] = T0 + timedelta(hours=5)
    with world.runtime.db.transaction() as session:
        assert accounts.user_for_token(session, raw) is not None
        assert session.get(ApiToken, token_id).last_used_at == T0 + timedelta(hours=5)  # type: ignore[union-attr]
    clock[0] = T0 + timedelta(days=1)
    with world.runtime.db.transaction() as session:
        assert accounts.user_for_token(session, raw) is None
        assert queries.token_state(session.get(ApiToken, token_id)) == "expired"  # type: ignore[arg-type]


def test_token_states(world: World, clock: list[datetime]) -> None:
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        forever = accounts.create_token(session, agent, "f")[0]
        soon = accounts.create_token(session, agent, "s", expires_in_days=7)[0]
        later = accounts.create_token(session, agent, "l", expires_in_days=8)[0]
        gone = accounts.create_token(session, agent, "g")[0]
        accounts.revoke_token(session, agent, gone.id)
        assert [queries.token_state(t) for t in (forever, soon, later, gone)] == [
            "active", "expiring", "active", "revoked"]


def test_the_raw_token_is_never_stored(world: World) -> None:
    with world.runtime.db.transaction() as session:
        token, raw = accounts.create_token(session, _user(session, world.agent), "t")
        assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
        stored = session.execute(select(ApiToken.__table__)).all()
        assert not any(raw in str(value) for row in stored for value in row)


def test_an_admin_revokes_any_token_of_the_workspace_only(world: World, other_world: World) -> None:
    with world.runtime.db.transaction() as session:
        token_id = accounts.create_token(session, _user(session, world.agent), "t")[0].id
    with world.runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            accounts.revoke_workspace_token(session, _user(session, other_world.admin), token_id)
        with pytest.raises(NotFound):  # one's own revoke is for one's own tokens
            accounts.revoke_token(session, _user(session, world.admin), token_id)
        accounts.revoke_workspace_token(session, _user(session, world.admin), token_id)
        assert session.get(ApiToken, token_id).revoked_at is not None  # type: ignore[union-attr]
        rows = queries.workspace_tokens(session, world.workspace_id)
        assert [(t.id, u.id) for t, u in rows] == [(token_id, world.agent.id)]
        assert queries.workspace_tokens(session, other_world.workspace_id) == []


@pytest.fixture
def other_world(world_factory: Callable[[str], World], world: World) -> World:
    return world_factory("globex")


def test_sessions_listed_and_signed_out_one_or_all_others(world: World) -> None:
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.4 Mobile/15E148 Safari/604.1")
    life = timedelta(hours=8)
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        here = accounts.start_session(session, agent, lifetime=life, ip="10.0.0.1", user_agent=firefox)
        accounts.start_session(session, agent, lifetime=life, ip="10.0.0.2", user_agent=iphone)
        accounts.start_session(session, agent, lifetime=life, ip="10.0.0.3", user_agent="curl/8.5.0")
        accounts.start_session(session, _user(session, world.admin), lifetime=life, ip="10.0.0.9")
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        rows = queries.open_sessions(session, agent, idle=timedelta(hours=1), current=here)
        assert sorted((r.ip, r.browser, r.system, r.current) for r in rows) == [
            ("10.0.0.1", "Firefox", "Linux", True), ("10.0.0.2", "Safari", "iPhone", False),
            ("10.0.0.3", "curl", "", False)]
        phone = next(r for r in rows if r.ip == "10.0.0.2")
        admins = session.scalar(select(UserSession.id).where(UserSession.user_id == world.admin.id))
        assert admins is not None
        with pytest.raises(NotFound):
            accounts.sign_out_session(session, agent, admins)
        accounts.sign_out_session(session, agent, phone.id)
        assert {r.ip for r in queries.open_sessions(session, agent, idle=timedelta(hours=1))} == {
            "10.0.0.1", "10.0.0.3"}
        assert accounts.sign_out_other_sessions(session, agent, here) == 1
        assert [r.ip for r in queries.open_sessions(session, agent, idle=timedelta(hours=1))] == ["10.0.0.1"]
        assert accounts.user_for_session(session, here, idle=timedelta(hours=1)) is not None
        # the admin's session was left alone
        assert len(queries.open_sessions(session, _user(session, world.admin), idle=timedelta(hours=1))) == 1


@pytest.mark.parametrize(("agent", "expected"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 "
     "Edg/126.0", ("Edge", "Windows")),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
     ("Chrome", "Android")),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Safari/605.1.15", ("Safari", "macOS")),
    ("python-httpx/0.27.0", ("python-httpx", "")),
    ("", ("", "")),
    ("SomethingElse/1.0", ("", "")),
])
def test_user_agents_are_named(agent: str, expected: tuple[str, str]) -> None:
    assert queries.describe_user_agent(agent) == expected


def test_within_expiry(world: World, clock: list[datetime]) -> None:
    limit = T0 + timedelta(days=10)
    with world.runtime.db.transaction() as session:
        agent = _user(session, world.agent)
        for bad in ({}, {"expires_in_days": 11}):
            with pytest.raises(Invalid, match="outlives it"):
                accounts.create_token(session, agent, "x", within_expires_at=limit, **bad)  # type: ignore[arg-type]
        assert accounts.create_token(session, agent, "ok", expires_in_days=10, within_expires_at=limit)[0].id
