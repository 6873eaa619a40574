"""Issue 21: which failed Telegram sends may have reached Telegram (*ambiguous*). The Bot API has no idempotency
key and no way to list a chat's messages: an ambiguous reply is marked uncertain for a person, never sent again."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import Attachment, ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .test_telegram import CONNECTOR, TOKEN, account, business, message, path


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def test_telegram_can_neither_deduplicate_nor_look() -> None:
    assert not CONNECTOR.idempotent(Visibility.PRIVATE) and not CONNECTOR.idempotent(Visibility.PUBLIC)
    assert not CONNECTOR.can_find_sent
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), message(), httpx.Client())


@pytest.mark.parametrize("reply,ambiguous,retryable", [
    (Reply(502, fixture("telegram", "error_502.json")), True, True),
    (Reply(500, body=b"<html>oops</html>"), True, True),
    (Reply(200, body=b"<html>"), True, True),  # accepted, unreadable: the message may be in the chat
    (Reply(200, {"ok": True, "result": {"chat": {"id": 1}}}), True, True),  # accepted without a message id
    (Reply(429, fixture("telegram", "error_429.json")), False, True),
    (Reply(403, fixture("telegram", "error_403_blocked.json")), False, False),
    (Reply(400, fixture("telegram", "error_400_chat_not_found.json")), False, False),
    (Reply(401, fixture("telegram", "error_401.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, reply: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", path("sendMessage"), reply)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable
    assert TOKEN not in failed.value.reason


def test_a_rate_limit_keeps_its_wait(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", path("sendMessage"), Reply(429, fixture("telegram", "error_429.json")))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message(), http)
    assert failed.value.retry_after == fixture("telegram", "error_429.json")["parameters"]["retry_after"]


def test_a_timeout_after_the_request_is_ambiguous(api: StandIn) -> None:
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message(), quick)
    assert failed.value.ambiguous and failed.value.retryable and "sendMessage" in failed.value.reason
    assert TOKEN not in failed.value.reason


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ReadTimeout("slow"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), message(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable


def test_a_failed_read_before_the_send_is_not_ambiguous(api: StandIn) -> None:
    """A Telegram Business reply first reads the connection (getBusinessConnection): its failure sent nothing."""
    api.on("POST", path("getBusinessConnection"), Reply(200, fixture("telegram", "send_message_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), business(), quick)
    assert not failed.value.ambiguous and failed.value.retryable
    assert [r.path for r in api.requests] == [path("getBusinessConnection")]


def test_an_ambiguous_part_keeps_what_went_out(api: StandIn, http: httpx.Client) -> None:
    """Text then a photo: the photo's send is ambiguous, the text's id is kept for the next attempt."""
    api.on("POST", path("sendMessage"), Reply(200, fixture("telegram", "send_message_200.json")))
    api.on("POST", path("sendPhoto"), Reply(502, fixture("telegram", "error_502.json")))
    photo = Attachment(kind="image", name="bag.jpg", mime_type="image/jpeg", size=3, data=b"\xff\xd8\xff")
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message("x" * 1100, attachments=(photo,)), http)
    assert failed.value.ambiguous and set(failed.value.progress) == {"text"}
