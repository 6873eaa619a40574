"""Issue 21: which failed Google review replies may have reached Google (*ambiguous*). The reply is a ``PUT`` of
the review's one reply: sending it again replaces it, never doubles it, so an ambiguous reply is simply retried."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .helpers import REVIEW, account
from .test_google import CONNECTOR, reply

PUT = f"/v4/{REVIEW}/reply"


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def test_a_google_reply_is_idempotent_and_nothing_is_looked_up() -> None:
    assert CONNECTOR.idempotent(Visibility.PUBLIC) and not CONNECTOR.can_find_sent
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), reply(), httpx.Client())


@pytest.mark.parametrize("answer,ambiguous,retryable", [
    (Reply(500, {"error": {"code": 500, "status": "INTERNAL", "message": "oops"}}), True, True),
    (Reply(503, body=b"unavailable"), True, True),
    (Reply(200, body=b"<html>"), True, True),  # the reply was set, the answer is unreadable
    (Reply(429, fixture("google", "error_429.json"), headers={"retry-after": "30"}), False, True),
    (Reply(403, fixture("google", "error_403.json")), False, False),
    (Reply(404, fixture("google", "error_404.json")), False, False),
    (Reply(401, fixture("google", "error_401.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, answer: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("PUT", PUT, answer)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), reply(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable


def test_a_timeout_is_ambiguous_and_the_retry_is_the_same_put(api: StandIn, http: httpx.Client) -> None:
    api.on("PUT", PUT, Reply(200, fixture("google", "reply_200.json"), delay=0.5),
           Reply(200, fixture("google", "reply_200.json")))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), reply(), quick)
    assert failed.value.ambiguous and failed.value.retryable
    CONNECTOR.send(account(api), reply(), http)
    first, second = api.wait_for(2)[:2]
    assert (first.method, first.path, first.body) == (second.method, second.path, second.body)


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), reply(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable


def test_a_broken_read_is_not_ambiguous() -> None:
    from compris.connectors.google import reviews

    with broken(httpx.ReadError("reset")) as client, pytest.raises(SendError) as failed:
        reviews.request(client, "GET", f"https://mybusiness.example/v4/{REVIEW}", token="ya29.x")
    assert not failed.value.ambiguous and failed.value.retryable
