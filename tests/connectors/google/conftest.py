from __future__ import annotations

from collections.abc import Iterator

import pytest

from compris.connectors.google import pubsub


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    """Google's signing keys are cached per process: each test starts without them."""
    pubsub.clear_cache()
    yield
    pubsub.clear_cache()
