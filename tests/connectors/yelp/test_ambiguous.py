"""Issue 21: which failed Yelp responses may have reached Yelp (*ambiguous*). Yelp's API has no idempotency key and
shows no business response on a review: an ambiguous response is marked uncertain for a person."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .test_yelp import CONNECTOR, REVIEW, account, response

POST = f"/reviews/v1/{REVIEW}"


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def test_yelp_can_neither_deduplicate_nor_look() -> None:
    assert not CONNECTOR.idempotent(Visibility.PUBLIC) and not CONNECTOR.can_find_sent
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), response(), httpx.Client())


@pytest.mark.parametrize("answer,ambiguous,retryable", [
    (Reply(500, fixture("yelp", "error_500.json")), True, True),
    (Reply(503, body=b"unavailable"), True, True),
    (Reply(200, body=b"<html>"), True, True),  # accepted, unreadable
    (Reply(429, fixture("yelp", "error_rate_limit.json"), headers={"retry-after": "12"}), False, True),
    (Reply(400, fixture("yelp", "error_quota.json")), False, False),
    (Reply(400, fixture("yelp", "error_invalid_text.json")), False, False),
    (Reply(403, fixture("yelp", "error_permission.json")), False, False),
    (Reply(401, fixture("yelp", "error_invalid_token.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, answer: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", POST, answer)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), response(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable
    if answer.status == 429:
        assert failed.value.retry_after == 12.0


def test_a_timeout_after_the_request_is_ambiguous(api: StandIn) -> None:
    api.on("POST", POST, Reply(200, fixture("yelp", "respond_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), response(), quick)
    assert failed.value.ambiguous and failed.value.retryable


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), response(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable
    assert "biz-token" not in failed.value.reason


def test_a_broken_read_is_not_ambiguous() -> None:
    from compris.connectors.yelp import outbound

    with broken(httpx.ReadError("reset")) as client, pytest.raises(SendError) as failed:
        outbound.request(client, "GET", "https://api.yelp.example/v3/businesses/x/reviews", token="places-key")
    assert not failed.value.ambiguous and failed.value.retryable
