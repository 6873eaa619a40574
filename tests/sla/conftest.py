"""The sandbox network as the send job sees it, for the SLA tests: it accepts every send, or refuses them for
good (``network.refuse = True``: not retryable, so the send job fails at once), without any HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from compris.connectors.base import OutboundMessage, SendError, SendResult
from compris.connectors.sandbox import SandboxConnector


class Network:
    def __init__(self) -> None:
        self.refuse = False
        self.calls: list[OutboundMessage] = []

    def send(self, account: Any, message: OutboundMessage, client: httpx.Client) -> SendResult:
        self.calls.append(message)
        if self.refuse:
            raise SendError("400 this person cannot receive messages", retryable=False)
        return SendResult(platform_message_id=f"sent-{len(self.calls)}")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    net = Network()
    monkeypatch.setattr(SandboxConnector, "send", net.send)
    return net
