"""Password hashing cost: configurable (the suite uses the minimal one), hashes portable across costs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from compris.accounts import actions as accounts
from compris.config import ConfigError, Settings
from compris.kit import passwords
from compris.models import User

from .conftest import World
from .test_config import serve_with

PASSWORD = "correct horse battery"


@pytest.fixture
def restore_cost() -> Iterator[None]:
    before = passwords.current_cost()
    yield
    passwords.configure(before)  # type: ignore[arg-type]


def test_the_suite_hashes_at_the_minimal_cost(world: World) -> None:
    # given the test world's users
    # then their hashes carry Argon2's least parameters (the production default is 64 MiB, 3 passes)
    assert world.admin.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


@pytest.mark.usefixtures("restore_cost")
def test_a_hash_made_at_one_cost_verifies_at_the_other() -> None:
    # given a hash made at each cost
    passwords.configure("standard")
    standard = passwords.hash_password(PASSWORD)
    passwords.configure("minimal")
    minimal = passwords.hash_password(PASSWORD)
    assert standard.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert minimal.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # then each verifies whatever the current cost (Argon2 hashes carry their parameters)
    for cost in ("minimal", "standard"):
        passwords.configure(cost)  # type: ignore[arg-type]
        assert passwords.verify_password(standard, PASSWORD)
        assert passwords.verify_password(minimal, PASSWORD)
        assert not passwords.verify_password(minimal, "wrong horse battery")
    # and only a hash made at another cost than the current one needs re-hashing
    assert passwords.needs_rehash(minimal) and not passwords.needs_rehash(standard)
    passwords.configure("minimal")
    assert passwords.needs_rehash(standard) and not passwords.needs_rehash(minimal)


@pytest.mark.usefixtures("restore_cost")
def test_no_hash_or_a_garbled_one_never_verifies() -> None:
    assert not passwords.verify_password(None, PASSWORD)
    assert not passwords.verify_password("not-a-hash", PASSWORD)
    with pytest.raises(ValueError, match="unknown"):
        passwords.configure("cheap")  # type: ignore[arg-type]


@pytest.mark.usefixtures("restore_cost")
def test_a_login_rehashes_a_password_hashed_at_another_cost(world: World) -> None:
    # given a user whose hash was made at the minimal cost, on a Compris now configured at the standard one
    passwords.configure("standard")
    with world.runtime.db.transaction() as session:
        # when they sign in
        user = accounts.authenticate(session, world.agent.email, PASSWORD, ip="127.0.0.1", max_failures=5)
        assert user is not None
    # then their hash is upgraded to the standard cost, and still verifies
    with world.runtime.db.transaction() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == world.agent.id))
    assert stored is not None and stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    passwords.configure("minimal")
    with world.runtime.db.transaction() as session:
        assert accounts.authenticate(session, world.agent.email, PASSWORD, ip="127.0.0.1", max_failures=5)
        wrong = accounts.authenticate(session, world.agent.email, "wrong horse b", ip="127.0.0.1", max_failures=5)
        assert wrong is None


def test_the_runtime_applies_the_setting(world: World) -> None:
    assert world.runtime.settings.password_hash_cost == "minimal"
    assert passwords.current_cost() == "minimal"


def test_the_default_cost_is_the_standard_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPRIS_PASSWORD_HASH_COST", raising=False)
    settings = Settings(secret_key="x" * 40)
    assert settings.password_hash_cost == "standard"
    settings.check_password_hash_cost()


def test_the_minimal_cost_is_refused_outside_the_demo() -> None:
    with pytest.raises(ConfigError, match="COMPRIS_PASSWORD_HASH_COST"):
        Settings(secret_key="x" * 40, password_hash_cost="minimal").check_password_hash_cost()
    Settings(demo=True, password_hash_cost="minimal").check_password_hash_cost()
    with pytest.raises(ValueError, match="password_hash_cost"):
        Settings(password_hash_cost="cheap")  # type: ignore[arg-type]


def test_serve_refuses_the_minimal_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    result = serve_with(monkeypatch, COMPRIS_SECRET_KEY="x" * 40, COMPRIS_PASSWORD_HASH_COST="minimal")
    assert result.exit_code == 2
    assert "COMPRIS_PASSWORD_HASH_COST" in result.output
