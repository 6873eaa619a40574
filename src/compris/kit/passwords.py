"""Password hashing (Argon2id), at a cost chosen once per process (``COMPRIS_PASSWORD_HASH_COST``).

Every hash carries its own parameters (``$argon2id$v=19$m=65536,t=3,p=4$...``), so a hash made at one cost
verifies at any other; :func:`needs_rehash` tells when a stored hash was made at another cost than the
current one (the login then re-hashes it).
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Cost = Literal["standard", "minimal"]

#: standard: argon2-cffi's defaults (RFC 9106's low-memory profile); minimal: the least Argon2 allows, for
#: test suites and the demo only (it protects nothing against guessing)
#: (time_cost: passes, memory_cost: KiB, parallelism: lanes)
COSTS: dict[str, tuple[int, int, int]] = {
    "standard": (3, 65536, 4),
    "minimal": (1, 8, 1),
}

_cost: str = "standard"


def configure(cost: Cost) -> None:
    """Choose the cost of new hashes for this process (the runtime does, from the settings)."""
    if cost not in COSTS:
        raise ValueError(f"unknown password hash cost {cost!r}")
    global _cost
    _cost = cost


def current_cost() -> str:
    return _cost


@cache
def _hasher(cost: str) -> PasswordHasher:
    time_cost, memory_cost, parallelism = COSTS[cost]
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@cache
def _dummy_hash(cost: str) -> str:
    return _hasher(cost).hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher(_cost).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. Without a hash (no such user), a dummy hash of the current cost is
    checked all the same, so that an unknown e-mail takes as long as a wrong password."""
    try:
        return _hasher(_cost).verify(password_hash or _dummy_hash(_cost), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current cost's."""
    return _hasher(_cost).check_needs_rehash(password_hash)
