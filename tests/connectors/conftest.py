from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def load_fixture(test_file: str, name: str) -> Any:
    return json.loads((Path(test_file).parent / "fixtures" / name).read_text(encoding="utf-8"))


def fixture_bytes(test_file: str, name: str) -> bytes:
    return (Path(test_file).parent / "fixtures" / name).read_bytes()
