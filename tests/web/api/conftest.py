"""Fixtures for the JSON API tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from compris.config import Settings
from compris.connectors.base import OutboundMessage, SendResult
from compris.connectors.sandbox import SandboxConnector
from compris.inbox import outbound
from compris.runtime import Runtime
from compris.web.app import create_app
from tests.conftest import World
from tests.web.api.helpers import FakeNetwork, auth, token


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    # Not entered as a context manager: no lifespan, so no workers; jobs run when a test calls world.run_jobs().
    yield TestClient(create_app(settings, runtime, workers=0))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "backoff", lambda attempt: 0.0)


@pytest.fixture
def agent_headers(world: World) -> dict[str, str]:
    return auth(token(world, world.agent))


@pytest.fixture
def other_world(world_factory: Callable[[str], World], world: World) -> World:
    """A second workspace (created after ``world``, so ids differ but case numbers overlap)."""
    return world_factory("globex")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    fake = FakeNetwork()

    def send(self: SandboxConnector, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        return fake.send(message, client)

    monkeypatch.setattr(SandboxConnector, "send", send)
    return fake
