"""Business action tests: local endpoints allowed (the stand-ins), no backoff between attempts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compris.business import tasks
from compris.config import Settings


@pytest.fixture(autouse=True)
def local_endpoints(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "allow_local_http_endpoints", True)
    monkeypatch.setattr(tasks, "backoff", lambda attempt: 0.0)
    yield
