"""The API tests' fixtures (a test client without workers, a fake network for replies) for the privacy tests."""

from tests.web.api.conftest import client, network, no_backoff

__all__ = ["client", "network", "no_backoff"]
