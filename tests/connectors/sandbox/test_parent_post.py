"""Threads and context (issue 16) on the sandbox network: a comment's delivery carries the post it is under, and the
connector reads a post from the network's brand API when a delivery names only its id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from compris.connectors.base import AccountContext, FetchError
from compris.connectors.sandbox import SandboxConnector
from compris.sandbox_network import Brand, SandboxNetwork
from compris.sandbox_network.app import create_network_app
from compris.sandbox_network.store import Persona

TOKEN = "tok-brand-one-123"
SECRET = "whsec-brand-one-123"
CONNECTOR = SandboxConnector()


@pytest.fixture
def network(tmp_path: Path) -> Iterator[SandboxNetwork]:
    net = SandboxNetwork(tmp_path / "net.db", public_url="http://sandbox.test",
                         http=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))))
    net.register_brand(Brand("brand-1", "Brand One", "http://compris.test/webhooks/1", SECRET, TOKEN, "facebook"))
    yield net
    net.close()


def account(token: str = TOKEN) -> AccountContext:
    return AccountContext(account_id=1, workspace_id=1, network="sandbox", external_id="brand-1",
                          settings={"api_base": "http://sandbox.test"}, secrets={"api_token": token})


def _api(network: SandboxNetwork) -> httpx.Client:
    """An httpx client whose requests the network's app answers in-process."""
    app = TestClient(create_network_app(network))

    def answer(request: httpx.Request) -> httpx.Response:
        got = app.request(request.method, request.url.raw_path.decode(), headers=dict(request.headers))
        return httpx.Response(got.status_code, content=got.content, headers=got.headers)

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_a_comment_carries_the_brand_post_it_is_under(network: SandboxNetwork) -> None:
    posted_at = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
    post_id = network.brand_post("brand-1", "Nos soldes d'hiver <b>commencent</b> !", message_id="p-sales",
                                 created_at=posted_at)
    comment = network.customer_message("brand-1", Persona(id="u1", name="Léa"), "comment",
                                       "Toujours pas reçu ma commande", thread_id=post_id, deliver=False)
    assert json.loads(comment.body)["data"]["post"]["author"] == {"id": "brand-1", "brand": True,
                                                                 "name": "Brand One"}
    (message,) = CONNECTOR.parse(account(), comment.body).messages
    post = message.parent_post
    assert post is not None and post.platform_post_id == "p-sales" and post.by_account is True
    assert post.text == "Nos soldes d'hiver <b>commencent</b> !" and post.created_at == posted_at
    assert post.author_name == "Brand One" and post.permalink == "http://sandbox.test/?brand=brand-1#m-p-sales"
    # a post of the customer's own and a private message are under no post
    own = network.customer_message("brand-1", Persona(id="u2"), "post", "Bonjour", deliver=False)
    dm = network.customer_message("brand-1", Persona(id="u3"), "dm", "Bonjour", deliver=False)
    assert CONNECTOR.parse(account(), own.body).messages[0].parent_post is None
    assert CONNECTOR.parse(account(), dm.body).messages[0].parent_post is None


def test_a_post_is_read_from_the_brand_api(network: SandboxNetwork) -> None:
    network.brand_post("brand-1", "Livraison offerte ce week-end", message_id="p-free")
    with _api(network) as client:
        post = CONNECTOR.fetch_post(account(), "p-free", client)
        assert post is not None and post.text == "Livraison offerte ce week-end" and post.by_account is True
        assert CONNECTOR.fetch_post(account(), "p-unknown", client) is None  # no such post: nothing to show
        with pytest.raises(FetchError) as refused:
            CONNECTOR.fetch_post(account("wrong-token"), "p-free", client)
    assert refused.value.retryable is False and "wrong-token" not in refused.value.reason


def test_a_network_failure_is_retryable() -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))) as client, \
            pytest.raises(FetchError) as failed:
        CONNECTOR.fetch_post(account(), "p-free", client)
    assert failed.value.retryable is True
