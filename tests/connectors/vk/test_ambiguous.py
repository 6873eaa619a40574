"""Issue 21: which failed VK sends may have reached VK (*ambiguous*: retried with the same ``random_id``/``guid``,
which VK remembers) and which certainly did not."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import SendError, Visibility

from ..standin import Reply, StandIn
from .test_vk import CONNECTOR, account, form_of, private, wall_reply


def broken(exc: Exception) -> httpx.Client:
    """A client whose every request fails with ``exc`` (a reset, a refused connection...)."""
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def test_vk_is_idempotent_for_messages_and_comments() -> None:
    assert CONNECTOR.idempotent(Visibility.PRIVATE) and CONNECTOR.idempotent(Visibility.PUBLIC)
    assert not CONNECTOR.can_find_sent


@pytest.mark.parametrize("reply,ambiguous,retryable", [
    (Reply(500, body=b"oops"), True, True),
    (Reply(502, body=b"bad gateway"), True, True),
    (Reply(429, body=b"slow", headers={"retry-after": "7"}), False, True),
    (Reply(400, body=b"bad"), False, False),
    (Reply(200, fixture("vk", "error_10.json")), True, True),  # internal error: the call may have been carried out
    (Reply(200, fixture("vk", "error_6.json")), False, True),  # too many per second: refused, not carried out
    (Reply(200, fixture("vk", "error_9.json")), False, True),  # flood control
    (Reply(200, fixture("vk", "error_901.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, reply: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", "/method/messages.send", reply)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), private(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable


def test_a_429_keeps_its_wait(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/wall.createComment", Reply(429, body=b"slow", headers={"retry-after": "7"}))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), wall_reply(), http)
    assert failed.value.retry_after == 7.0 and not failed.value.ambiguous


def test_a_timeout_after_the_request_is_ambiguous(api: StandIn) -> None:
    api.on("POST", "/method/wall.createComment",
           Reply(200, fixture("vk", "wall_create_comment_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), wall_reply(), quick)
    assert failed.value.ambiguous and failed.value.retryable and "wall.createComment" in failed.value.reason


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.WriteTimeout("slow"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), private(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable
    assert "vk1.a.community" not in failed.value.reason


def test_the_retry_of_an_ambiguous_send_carries_the_same_keys(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", "/method/messages.send", Reply(502, body=b"bad gateway"),
           Reply(200, fixture("vk", "messages_send_200.json")))
    api.on("POST", "/method/wall.createComment", Reply(500, body=b"oops"),
           Reply(200, fixture("vk", "wall_create_comment_200.json")))
    for message in (private(), wall_reply()):
        with pytest.raises(SendError) as failed:
            CONNECTOR.send(account(api), message, http)
        assert failed.value.ambiguous
        CONNECTOR.send(account(api), message, http)
    forms = [form_of(r) for r in api.requests]
    assert forms[0]["random_id"] == forms[1]["random_id"]
    assert forms[2]["guid"] == forms[3]["guid"] == "ws1:reply-81"
