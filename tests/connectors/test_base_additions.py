"""The optional pieces added to ``compris.connectors.base`` for the connectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from compris.connectors.base import (
    AccountContext,
    Connector,
    ConnectorError,
    ParsedDelivery,
    retry_after_seconds,
)
from compris.connectors.email import EmailConnector

from .standin import Reply, StandIn

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("headers,expected", [
    ({"Retry-After": "30"}, 30.0),
    ({"retry-after": format_datetime(NOW + timedelta(seconds=90), usegmt=True)}, 90.0),
    ({"x-rate-limit-reset": str(int(NOW.timestamp()) + 120), "x-rate-limit-remaining": "0"}, 120.0),
    ({"X-RateLimit-Reset": (NOW + timedelta(minutes=5)).isoformat()}, 300.0),
    ({"X-RateLimit-Reset": "42"}, 42.0),
    ({"X-RateLimit-Reset": str(int(NOW.timestamp()) - 100)}, 0.0),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == expected


def test_retry_after_seconds_reads_httpx_headers() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"}), NOW) == 7.0


def test_poll_is_optional() -> None:
    class Quiet(Connector):
        network = "quiet"
        display_name = "Quiet"

    assert not Quiet.supports_polling and EmailConnector.supports_polling
    with pytest.raises(ConnectorError):
        Quiet().poll(AccountContext(1, 1, "quiet", "x"), {})


def test_parsed_delivery_skipped_defaults_to_nothing() -> None:
    assert ParsedDelivery().skipped == ()


def test_standin_records_and_waits(api: StandIn) -> None:
    api.on("PUT", "/thing", Reply(202, {"ok": True}))
    with httpx.Client() as client:
        assert client.put(f"{api.base_url}/thing?x=1", json={"a": "é"}).status_code == 202
        assert client.get(f"{api.base_url}/nothing").status_code == 404
    first, second = api.wait_for(2)
    assert (first.method, first.path, first.query, first.json()) == ("PUT", "/thing", {"x": "1"}, {"a": "é"})
    assert second.path == "/nothing"
