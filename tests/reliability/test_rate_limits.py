"""Rate limits are atomic under concurrency (issue 21): 40 concurrent wrong passwords for one e-mail check exactly
the limit's worth of passwords; 40 concurrent portal requests let exactly the limit through. Bounded: 40 threads,
each one short transaction or two."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from compris.accounts import actions as accounts
from compris.kit import passwords
from compris.runtime import Runtime
from tests.conftest import World

pytestmark = pytest.mark.reliability

CONCURRENT = 40
LIMIT = 5


def _login(runtime: Runtime, email: str, password: str, ip: str) -> str:
    """The login page's two steps (web/pages/auth.py): the limits, then the password in a second transaction."""
    try:
        with runtime.db.transaction() as session:
            ticket = accounts.reserve_login(session, email, ip=ip, max_failures=LIMIT)
    except accounts.LoginRateLimited:
        return "limited"
    with runtime.db.transaction() as session:
        return "ok" if accounts.finish_login(session, ticket, password) else "wrong"


def _storm(fn: Callable[[int], str], count: int) -> list[str]:
    """``fn(0)`` … ``fn(count - 1)`` on ``count`` threads released at once."""
    barrier = threading.Barrier(count, timeout=20)

    def one(i: int) -> str:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count), timeout=60))


def test_concurrent_wrong_passwords_check_exactly_the_limit(runtime: Runtime, world: World,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    checked = []
    lock = threading.Lock()
    real = passwords.verify_password

    def counting(hashed: str | None, password: str) -> bool:
        with lock:
            checked.append(password)
        return real(hashed, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    # 40 attempts at once from 40 addresses (only the e-mail's limit applies)
    outcomes = _storm(lambda i: _login(runtime, world.agent.email, f"wrong guess {i}", f"198.51.100.{i}"),
                      CONCURRENT)
    assert len(checked) == LIMIT
    assert sorted(outcomes).count("wrong") == LIMIT and outcomes.count("limited") == CONCURRENT - LIMIT
    # and the right password is refused too, for now
    assert _login(runtime, world.agent.email, "correct horse battery", "198.51.100.200") == "limited"


def test_concurrent_attempts_from_one_address_check_exactly_the_limit(runtime: Runtime, world: World) -> None:
    outcomes = _storm(lambda i: _login(runtime, f"guess{i}@acme.test", "wrong guess", "203.0.113.7"),
                      CONCURRENT)
    assert outcomes.count("wrong") == LIMIT and outcomes.count("limited") == CONCURRENT - LIMIT


def test_a_success_is_not_a_failure(runtime: Runtime, world: World) -> None:
    for _ in range(LIMIT - 1):
        assert _login(runtime, world.agent.email, "wrong guess", "203.0.113.8") == "wrong"
    assert _login(runtime, world.agent.email, "correct horse battery", "203.0.113.8") == "ok"
    # the e-mail's failures are forgotten after a success; the address keeps its own (4 of 5)
    assert _login(runtime, world.agent.email, "wrong guess", "203.0.113.9") == "wrong"
    assert _login(runtime, "other@acme.test", "wrong guess", "203.0.113.8") == "wrong"
    assert _login(runtime, "other2@acme.test", "wrong guess", "203.0.113.8") == "limited"


def test_concurrent_counted_requests_let_exactly_the_limit_through(runtime: Runtime, world: World) -> None:
    limit = 10

    def request(_i: int) -> str:
        try:
            with runtime.db.transaction() as session:
                accounts.count_request(session, "portal:ip:203.0.113.50", limit=limit, window=timedelta(minutes=1))
        except accounts.RateLimited:
            return "limited"
        return "ok"

    outcomes = _storm(request, CONCURRENT)
    assert outcomes.count("ok") == limit and outcomes.count("limited") == CONCURRENT - limit
