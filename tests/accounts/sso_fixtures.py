"""The stand-in OpenID Connect provider as pytest fixtures, shared by the single sign-on tests (below the web and
through the pages): one real server per test module, its faults and person reset before each test. Import
``provider_fixture`` and ``fresh_fixture`` into a test module to use them (named ``provider`` and ``fresh``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compris.accounts import oidc
from compris.sso_standin import Person, StandInProvider

#: the redirect URI the tests' Compris uses (the TestClient's host)
CALLBACK = "http://testserver/sso/callback"


@pytest.fixture(scope="module", name="provider")
def provider_fixture() -> Iterator[StandInProvider]:
    with StandInProvider(redirect_uris=(CALLBACK,)) as running:
        yield running


@pytest.fixture(autouse=True, name="fresh")
def fresh_fixture(provider: StandInProvider) -> Iterator[None]:
    oidc.clear_cache()
    provider.faults.clear()
    provider.person = Person(email="agent@acme.test", name="Agent Acme")
    provider.token_requests.clear()
    yield
    oidc.clear_cache()
