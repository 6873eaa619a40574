"""WhatsApp after an ambiguous send: flagged, and never looked for (the Cloud API lists no sent messages)."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError

from ..standin import Reply, StandIn
from .test_whatsapp import CONNECTOR, NUMBER, account, message


def test_a_500_and_a_timeout_are_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(500, {"error": {"message": "Internal", "code": 131000}}),
           Reply(200, fixture("whatsapp", "send_200.json"), delay=0.5))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable and caught.value.ambiguous
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as timed_out:
        CONNECTOR.send(account(api), message(), quick)
    assert timed_out.value.ambiguous


def test_a_rate_limit_is_not_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{NUMBER}/messages", Reply(400, {"error": {"message": "pair rate", "code": 131056}}))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), message(), http)
    assert caught.value.retryable and not caught.value.ambiguous


def test_whatsapp_cannot_look_for_a_sent_message(http: httpx.Client) -> None:
    assert not CONNECTOR.can_find_sent and not CONNECTOR.idempotent("private")
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), message(), http)
