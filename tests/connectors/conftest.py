from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .standin import StandIn


@pytest.fixture
def api() -> Iterator[StandIn]:
    """A fresh local stand-in for a platform's HTTP API."""
    with StandIn() as standin:
        yield standin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client

