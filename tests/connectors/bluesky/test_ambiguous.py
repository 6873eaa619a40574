"""Issue 21: which failed Bluesky sends may have reached Bluesky (*ambiguous*), and :meth:`find_sent`: a post is
looked up by its record key (``getRecord``), a chat message among the conversation's messages (``getMessages``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility
from compris.connectors.bluesky import richtext
from compris.connectors.bluesky.xrpc import CHAT_PROXY

from ..standin import Reply, StandIn
from .test_bluesky import BRAND, CONNECTOR, CONVO, ELO, ROOT, X, account, dm, public_reply

CREATE = X + "com.atproto.repo.createRecord"
GET_RECORD = X + "com.atproto.repo.getRecord"
SEND = X + "chat.bsky.convo.sendMessage"
MESSAGES = X + "chat.bsky.convo.getMessages"
NOT_FOUND = Reply(400, fixture("bluesky", "error_record_not_found.json"))
ANSWERED = "3lkq3z5o7wk2f"  # the customer's message dm() answers


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def chat(*items: dict[str, Any], cursor: str | None = None) -> Reply:
    data: dict[str, Any] = {"messages": list(items)}
    if cursor:
        data["cursor"] = cursor
    return Reply(200, data)


def said(message_id: str, did: str, text: str) -> dict[str, Any]:
    return {"$type": "chat.bsky.convo.defs#messageView", "id": message_id, "rev": "2222", "text": text,
            "sender": {"did": did}, "sentAt": "2026-03-14T09:55:40.310Z"}


def test_posts_are_idempotent_chat_messages_are_looked_up() -> None:
    assert CONNECTOR.idempotent(Visibility.PUBLIC) and not CONNECTOR.idempotent(Visibility.PRIVATE)
    assert CONNECTOR.can_find_sent


@pytest.mark.parametrize("reply,ambiguous,retryable", [
    (Reply(500, fixture("bluesky", "error_internal.json")), True, True),
    (Reply(502, body=b"Bad Gateway"), True, True),
    (Reply(200, body=b"<html>"), True, True),
    (Reply(429, fixture("bluesky", "error_rate_limit.json"), headers={"ratelimit-reset": "4102444830"}), False, True),
    (Reply(400, fixture("bluesky", "error_convo_refused.json")), False, False),
    (Reply(401, {"error": "InvalidToken", "message": "Token could not be verified"}), False, False),
])
def test_chat_answers(api: StandIn, http: httpx.Client, reply: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", SEND, reply)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), dm(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable


def test_a_rate_limit_keeps_its_wait(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", SEND, Reply(429, fixture("bluesky", "error_rate_limit.json"),
                               headers={"ratelimit-reset": "4102444830"}))
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), dm(), http)
    assert failed.value.retry_after is not None and failed.value.retry_after > 60


def test_a_chat_timeout_is_ambiguous(api: StandIn) -> None:
    api.on("POST", SEND, Reply(200, fixture("bluesky", "send_message_200.json"), delay=0.5))
    with httpx.Client(timeout=0.1) as quick, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), dm(), quick)
    assert failed.value.ambiguous and failed.value.retryable


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ReadTimeout("slow"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), dm(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable


def test_a_failed_read_before_the_chat_send_is_not_ambiguous(api: StandIn) -> None:
    """A new conversation is first opened (getConvoForMembers, a query): its failure sent nothing."""
    api.on("GET", X + "chat.bsky.convo.getConvoForMembers", Reply(503, body=b"busy"))
    with pytest.raises(SendError) as failed, httpx.Client(timeout=1.0) as client:
        CONNECTOR.send(account(api), dm(thread_key=f"dm:{ELO}"), client)
    assert not failed.value.ambiguous and failed.value.retryable


def test_a_post_that_failed_with_a_5xx_and_is_not_there_is_ambiguous(api: StandIn, http: httpx.Client) -> None:
    """Retried with the same record key (the policy for an idempotent send): never a second post."""
    api.on("POST", CREATE, Reply(502, body=b"Bad Gateway"))
    api.on("GET", GET_RECORD, NOT_FOUND)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), public_reply(), http)
    assert failed.value.ambiguous and failed.value.retryable


# --- find_sent -----------------------------------------------------------------------------------------------
def test_find_sent_post_by_record_key(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", GET_RECORD, Reply(200, fixture("bluesky", "get_record_200.json")))
    found = CONNECTOR.find_sent(account(api), public_reply(), http)
    assert found is not None and found.platform_message_id == fixture("bluesky", "get_record_200.json")["uri"]
    assert found.thread_key == ROOT
    message = public_reply()
    assert api.only().query == {"repo": BRAND, "collection": "app.bsky.feed.post",
                                "rkey": richtext.reply_rkey("reply-42", message.extra["post"]["uri"])}


def test_find_sent_post_not_there(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", GET_RECORD, NOT_FOUND)
    assert CONNECTOR.find_sent(account(api), public_reply(), http) is None


def test_find_sent_post_cannot_tell(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", GET_RECORD, Reply(503, body=b"busy"))
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(api), public_reply(), http)


def test_find_sent_chat_message(api: StandIn, http: httpx.Client) -> None:
    text = dm().text
    api.on("GET", MESSAGES, chat(said("3lkq4d2ejos2k", BRAND, text + "\n"), said(ANSWERED, ELO, "Bonjour ?")))
    found = CONNECTOR.find_sent(account(api), dm(), http)
    assert found is not None and (found.platform_message_id, found.thread_key) == ("3lkq4d2ejos2k", CONVO)
    request = api.only()
    assert request.query == {"convoId": CONVO, "limit": "100"} and request.headers["atproto-proxy"] == CHAT_PROXY


@pytest.mark.parametrize("items", [
    # only older than the customer's message answered: an earlier reply with the same words
    [said(ANSWERED, ELO, "Bonjour ?"), said("3lkq1", BRAND, "Bonjour Élodie, nous regardons votre réservation 🙏")],
    # the same words from the customer, not from us
    [said("3lkq5", ELO, "Bonjour Élodie, nous regardons votre réservation 🙏"), said(ANSWERED, ELO, "?")],
    [],  # an empty conversation
])
def test_find_sent_chat_message_not_there(api: StandIn, http: httpx.Client, items: list[dict[str, Any]]) -> None:
    api.on("GET", MESSAGES, chat(*items))
    assert CONNECTOR.find_sent(account(api), dm(), http) is None


def test_find_sent_chat_beyond_the_page_cannot_tell(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", MESSAGES, chat(said("3lkq6", ELO, "encore moi"), cursor="older"))
    with pytest.raises(ConnectorError, match="cannot tell"):
        CONNECTOR.find_sent(account(api), dm(), http)


def test_find_sent_chat_opens_the_conversation_of_a_new_thread(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", X + "chat.bsky.convo.getConvoForMembers",
           Reply(200, fixture("bluesky", "convo_for_members_200.json")))
    api.on("GET", MESSAGES, chat())
    assert CONNECTOR.find_sent(account(api), dm(thread_key=f"dm:{ELO}"), http) is None
    convo = fixture("bluesky", "convo_for_members_200.json")["convo"]["id"]
    assert api.requests[-1].query["convoId"] == convo


@pytest.mark.parametrize("reply", [Reply(500, fixture("bluesky", "error_internal.json")),
                                   Reply(401, {"error": "InvalidToken", "message": "no"}), Reply(200, {"odd": 1})])
def test_find_sent_chat_cannot_tell(api: StandIn, http: httpx.Client, reply: Reply) -> None:
    api.on("GET", MESSAGES, reply)
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(api), dm(), http)


def test_find_sent_with_an_expired_session_says_so(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", MESSAGES, Reply(400, fixture("bluesky", "error_expired_token.json")))
    with pytest.raises(SendError) as failed:
        CONNECTOR.find_sent(account(api), dm(), http)
    assert failed.value.unauthorized and isinstance(failed.value, ConnectorError)
