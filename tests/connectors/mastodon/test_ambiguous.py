"""Issue 21: which failed Mastodon sends may have reached the instance (*ambiguous*: retried with the same
``Idempotency-Key``, kept one hour), and :meth:`find_sent` for later: our recent statuses, matched on the status
answered and the text."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .helpers import OWN_ID, STATUSES, TOKEN, account
from .test_mastodon import CONNECTOR, MENTION, message

OURS = f"/api/v1/accounts/{OWN_ID}/statuses"
TEXT = "@elodie@piaille.fr Bonjour Élodie, nous regardons votre dossier."


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def status(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(fixture("mastodon", "status_200.json"))
    data.update(changes)
    return data


def test_mastodon_honours_the_key_and_can_look() -> None:
    assert CONNECTOR.idempotent(Visibility.PUBLIC) and CONNECTOR.idempotent(Visibility.PRIVATE)
    assert CONNECTOR.can_find_sent


@pytest.mark.parametrize("reply,ambiguous,retryable", [
    (Reply(500, {"error": "oops"}), True, True),
    (Reply(503, body=b"<html>maintenance</html>"), True, True),
    (Reply(200, body=b"<html>"), True, True),  # created, unreadable
    (Reply(429, fixture("mastodon", "error_429.json")), False, True),
    (Reply(422, fixture("mastodon", "error_422.json")), False, False),
    (Reply(404, fixture("mastodon", "error_404.json")), False, False),
    (Reply(401, fixture("mastodon", "error_401.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, reply: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", STATUSES, reply)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable


def test_a_timeout_after_the_request_is_ambiguous_and_the_retry_has_the_same_key(api: StandIn,
                                                                                 http: httpx.Client) -> None:
    api.on("POST", STATUSES, Reply(200, fixture("mastodon", "status_200.json"), delay=0.5),
           Reply(200, fixture("mastodon", "status_200.json")))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), message(), quick)
    assert failed.value.ambiguous and failed.value.retryable
    CONNECTOR.send(account(api), message(), http)
    first, second = api.wait_for(2)[:2]
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == "reply-42"


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), message(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable and TOKEN not in failed.value.reason


# --- find_sent -----------------------------------------------------------------------------------------------
def test_find_sent_reads_our_statuses_since_the_one_answered(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", OURS, Reply(200, [status(id="112345710000000200", in_reply_to_id="999", content="<p>other</p>"),
                                    status()]))
    found = CONNECTOR.find_sent(account(api), message(text=TEXT), http)
    assert found is not None and found.platform_message_id == "112345710000000100" and found.thread_key == MENTION
    request = api.only()
    assert request.query == {"limit": "40", "exclude_reblogs": "true", "since_id": MENTION}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_find_sent_not_found(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", OURS, Reply(200, [status(content="<p>@elodie another answer</p>"),
                                    status(id="2", in_reply_to_id="998")]))
    assert CONNECTOR.find_sent(account(api), message(text=TEXT), http) is None


def test_find_sent_pages_back_and_gives_up(api: StandIn, http: httpx.Client) -> None:
    full = [status(id=str(200 + i), in_reply_to_id="1") for i in range(40)]
    api.on("GET", OURS, Reply(200, full))
    with pytest.raises(ConnectorError, match="cannot tell"):
        CONNECTOR.find_sent(account(api), message(text=TEXT), http)
    assert len(api.requests) == 5
    assert [r.query.get("max_id") for r in api.requests] == [None, "200", "200", "200", "200"]


def test_find_sent_direct_message(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", OURS, Reply(200, [status(visibility="direct", content="<p>@elodie Nous regardons 🙏</p>")]))
    found = CONNECTOR.find_sent(account(api), message(Visibility.PRIVATE), http)
    assert found is not None and found.platform_message_id == "112345710000000100"


@pytest.mark.parametrize("reply", [Reply(500, {"error": "oops"}), Reply(401, fixture("mastodon", "error_401.json")),
                                   Reply(200, {"not": "a list"})])
def test_find_sent_cannot_tell(api: StandIn, http: httpx.Client, reply: Reply) -> None:
    api.on("GET", OURS, reply)
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(api), message(text=TEXT), http)


def test_a_broken_read_is_not_ambiguous() -> None:
    from compris.connectors.mastodon import outbound

    with broken(httpx.ReadError("reset")) as client, pytest.raises(SendError) as failed:
        outbound.request(client, "GET", "https://mastodon.example/api/v1/accounts/verify_credentials", token=TOKEN)
    assert not failed.value.ambiguous and failed.value.retryable
