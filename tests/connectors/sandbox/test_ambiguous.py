"""The sandbox network honours Idempotency-Key: an ambiguous failure is flagged and sent again with the same key."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors.base import AccountContext, Author, OutboundMessage, SendError, Visibility
from compris.connectors.sandbox import SandboxConnector

from ..standin import Reply, StandIn

CONNECTOR = SandboxConnector()


def _account(base: str) -> AccountContext:
    return AccountContext(account_id=1, workspace_id=1, network="sandbox", external_id="brand",
                          settings={"api_base": base}, secrets={"api_token": "t"})


def _message() -> OutboundMessage:
    return OutboundMessage(idempotency_key="key-1", text="Bonjour", visibility=Visibility.PUBLIC, thread_key="t1",
                           reply_to_platform_id="m1", recipient=Author(platform_user_id="lea"))


def test_a_500_is_ambiguous_and_the_network_is_idempotent(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/api/threads/t1/replies", Reply(500, {"error": "boom"}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(_account(api.base_url), _message(), http)
    assert caught.value.ambiguous and CONNECTOR.idempotent("public") and CONNECTOR.idempotent("private")
    assert api.only().headers["idempotency-key"] == "key-1"


def test_a_429_and_a_refused_connection_are_not_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/api/threads/t1/replies", Reply(429, {"error": "slow down"}))
    with pytest.raises(SendError) as limited:
        CONNECTOR.send(_account(api.base_url), _message(), http)
    assert not limited.value.ambiguous
    with pytest.raises(SendError) as refused:
        CONNECTOR.send(_account("http://127.0.0.1:9"), _message(), http)
    assert refused.value.retryable and not refused.value.ambiguous


def test_a_timeout_is_ambiguous(api: StandIn) -> None:
    api.on("POST", "/api/threads/t1/replies", Reply(200, {"id": "r1"}, delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(_account(api.base_url), _message(), quick)
    assert caught.value.ambiguous
