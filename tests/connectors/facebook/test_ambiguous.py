"""Facebook after an ambiguous send: which failures may have posted, and how Compris looks for the reply."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .test_facebook import CONNECTOR, PAGE, account, reply

COMMENTS = "/v25.0/555000000000001_900000000000001/comments"
TEXT = "Nous sommes désolés 🙏 nous vous écrivons en privé."
QUEUED = "2026-03-02T10:00:00+00:00"


def test_a_500_after_the_request_is_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", COMMENTS, Reply(500, fixture("facebook", "error_500.json")))
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), http)
    assert caught.value.retryable and caught.value.ambiguous


def test_a_timeout_is_ambiguous(api: StandIn) -> None:
    api.on("POST", COMMENTS, Reply(200, {"id": "x"}, delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as caught:
        CONNECTOR.send(account(api), reply(), quick)
    assert caught.value.ambiguous


def test_rate_limits_and_refusals_are_not_ambiguous(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", COMMENTS, Reply(429, fixture("facebook", "error_rate_limit.json")),
           Reply(400, fixture("facebook", "error_already_replied.json")))
    for _ in range(2):
        with pytest.raises(SendError) as caught:
            CONNECTOR.send(account(api), reply(), http)
        assert not caught.value.ambiguous


def test_a_refused_connection_is_not_ambiguous(http: httpx.Client) -> None:
    from compris.connectors.base import AccountContext
    ctx = AccountContext(account_id=4, workspace_id=1, network="facebook", external_id=PAGE,
                         settings={"api_base": "http://127.0.0.1:9/v25.0"}, secrets={"page_access_token": "t"})
    with pytest.raises(SendError) as caught:
        CONNECTOR.send(ctx, reply(), http)
    assert not caught.value.ambiguous


def test_a_comment_reply_is_found_among_the_comments(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", COMMENTS, Reply(200, {"data": [
        {"id": "c3", "message": TEXT, "from": {"id": "6100000000000042"}, "created_time": "2026-03-02T10:00:09+0000"},
        {"id": "c2", "message": TEXT, "from": {"id": PAGE}, "created_time": "2026-03-02T10:00:05+0000"},
    ]}))
    found = CONNECTOR.find_sent(account(api), reply(queued_at=QUEUED), http)
    assert found is not None and found.platform_message_id == "c2"
    query = api.only().query
    assert query["filter"] == "stream" and query["order"] == "reverse_chronological"
    assert "from" in query["fields"]


def test_an_older_identical_comment_is_not_ours(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", COMMENTS, Reply(200, {"data": [
        {"id": "c1", "message": TEXT, "from": {"id": PAGE}, "created_time": "2026-03-01T10:00:05+0000"},
    ], "paging": {"cursors": {"after": "x"}, "next": "https://graph/next"}}))
    assert CONNECTOR.find_sent(account(api), reply(queued_at=QUEUED), http) is None
    assert len(api.requests) == 1


def test_a_messenger_message_is_found_in_the_conversation(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{PAGE}/conversations", Reply(200, {"data": [{"id": "t_10"}]}))
    api.on("GET", "/v25.0/t_10/messages", Reply(200, {"data": [
        {"id": "m_2", "message": TEXT, "from": {"id": PAGE}, "created_time": "2026-03-02T10:00:03+0000"},
    ]}))
    found = CONNECTOR.find_sent(account(api), reply(Visibility.PRIVATE, queued_at=QUEUED), http)
    assert found is not None and found.platform_message_id == "m_2"
    first = api.requests[0]
    assert first.query["platform"] == "messenger" and first.query["user_id"] == "7100000000000042"


def test_no_conversation_means_not_delivered(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", f"/v25.0/{PAGE}/conversations", Reply(200, {"data": []}))
    assert CONNECTOR.find_sent(account(api), reply(Visibility.PRIVATE, queued_at=QUEUED), http) is None


def test_a_private_reply_to_a_comment_cannot_be_looked_for(http: httpx.Client) -> None:
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(), reply(Visibility.PRIVATE, private_reply_to_comment="c1"), http)


def test_when_facebook_cannot_be_asked_it_cannot_tell(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", COMMENTS, Reply(500, fixture("facebook", "error_500.json")))
    with pytest.raises(ConnectorError, match="could not look on Facebook"):
        CONNECTOR.find_sent(account(api), reply(queued_at=QUEUED), http)
