"""Issue 21: which failed YouTube replies may have reached YouTube (*ambiguous*), and :meth:`find_sent`: our
channel's reply with the same text among the replies to the comment (``comments.list?parentId=``)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import ConnectorError, SendError, Visibility

from ..standin import Reply, StandIn
from .test_youtube import CHANNEL, CONNECTOR, T1, account, reply

OURS = "UgzT1lostBag9x8y7z6w5v4AaABAg.B9ourNewReply01"


def broken(exc: Exception) -> httpx.Client:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc
    return httpx.Client(transport=httpx.MockTransport(fail))


def comment(comment_id: str = OURS, *, channel: str = CHANNEL, text: str = "Bonjour Élodie, nous localisons votre "
            "valise.", published: str = "2026-03-14T10:00:05Z") -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(fixture("youtube", "comment_insert_200.json"))
    data["id"] = comment_id
    data["snippet"].update({"textOriginal": text, "textDisplay": text, "authorChannelId": {"value": channel},
                            "publishedAt": published, "updatedAt": published})
    return data


def replies(*items: dict[str, Any], token: str | None = None) -> Reply:
    data: dict[str, Any] = {"kind": "youtube#commentListResponse", "items": list(items)}
    if token:
        data["nextPageToken"] = token
    return Reply(200, data)


def test_youtube_is_not_idempotent_but_can_look() -> None:
    assert not CONNECTOR.idempotent(Visibility.PUBLIC) and CONNECTOR.can_find_sent


@pytest.mark.parametrize("answer,ambiguous,retryable", [
    (Reply(503, fixture("youtube", "error_503.json")), True, True),
    (Reply(500, body=b"oops"), True, True),
    (Reply(200, body=b"<html>"), True, True),  # a 2xx without the comment: it may be there
    (Reply(429, body=b"slow", headers={"retry-after": "5"}), False, True),
    (Reply(403, fixture("youtube", "error_quota_exceeded.json")), False, True),
    (Reply(403, fixture("youtube", "error_comments_disabled.json")), False, False),
    (Reply(400, fixture("youtube", "error_text_too_long.json")), False, False),
    (Reply(401, fixture("youtube", "error_401.json")), False, False),
])
def test_answers(api: StandIn, http: httpx.Client, answer: Reply, ambiguous: bool, retryable: bool) -> None:
    api.on("POST", "/comments", answer)
    with pytest.raises(SendError) as failed:
        CONNECTOR.send(account(api), reply(), http)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable is retryable
    if answer.status == 429:
        assert failed.value.retry_after == 5.0


@pytest.mark.parametrize("exc,ambiguous", [
    (httpx.ReadError("connection reset by peer"), True),
    (httpx.RemoteProtocolError("server disconnected"), True),
    (httpx.ReadTimeout("slow"), True),
    (httpx.ConnectError("refused"), False),
    (httpx.ConnectTimeout("no route"), False),
])
def test_network_errors(exc: Exception, ambiguous: bool) -> None:
    with broken(exc) as client, pytest.raises(SendError) as failed:
        CONNECTOR.send(account(), reply(), client)
    assert failed.value.ambiguous is ambiguous and failed.value.retryable


# --- find_sent -----------------------------------------------------------------------------------------------
def test_find_sent_lists_the_replies_and_finds_ours(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/comments", replies(comment("c1", channel="UCsomeoneElse"),
                                       comment(text="Bonjour Élodie,\r\nnous localisons votre valise.  ")))
    found = CONNECTOR.find_sent(account(api), reply(), http)
    assert found is not None and (found.platform_message_id, found.thread_key) == (OURS, T1)
    request = api.only()
    assert request.query == {"part": "snippet", "parentId": T1, "maxResults": "100", "textFormat": "plainText"}
    assert request.headers["authorization"] == "Bearer ya29.old"


@pytest.mark.parametrize("items", [
    [],
    [comment("c1", channel="UCsomeoneElse")],  # the same words from someone else
    [comment(text="Another answer")],
    # our same words, but before the customer's comment this reply answers: an earlier reply
    [comment("old", published="2026-03-13T08:00:00Z"), comment("c9", channel="UCsomeoneElse",
                                                               published="2026-03-14T09:00:00Z")],
])
def test_find_sent_not_found(api: StandIn, http: httpx.Client, items: list[dict[str, Any]]) -> None:
    api.on("GET", "/comments", replies(*items))
    assert CONNECTOR.find_sent(account(api), reply(reply_to_platform_id="c9"), http) is None


def test_find_sent_reads_the_next_pages(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/comments", replies(comment("c1", channel="UCx"), token="p2"), replies(comment()))
    found = CONNECTOR.find_sent(account(api), reply(), http)
    assert found is not None and found.platform_message_id == OURS
    assert [r.query.get("pageToken") for r in api.requests] == [None, "p2"]


def test_find_sent_gives_up_after_five_pages(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/comments", replies(comment("c1", channel="UCx"), token="more"))
    with pytest.raises(ConnectorError, match="cannot tell"):
        CONNECTOR.find_sent(account(api), reply(), http)
    assert len(api.requests) == 5  # 5 quota units at most


@pytest.mark.parametrize("answer", [Reply(403, fixture("youtube", "error_quota_exceeded.json")),
                                    Reply(503, fixture("youtube", "error_503.json")),
                                    Reply(404, fixture("youtube", "error_comment_not_found.json"))])
def test_find_sent_cannot_tell(api: StandIn, http: httpx.Client, answer: Reply) -> None:
    api.on("GET", "/comments", answer)
    with pytest.raises(ConnectorError):
        CONNECTOR.find_sent(account(api), reply(), http)


def test_find_sent_renews_an_expired_token(api: StandIn, http: httpx.Client) -> None:
    api.on("GET", "/comments", Reply(401, fixture("youtube", "error_401.json")), replies(comment()))
    api.on("POST", "/token", Reply(200, fixture("youtube", "token_200.json")))
    found = CONNECTOR.find_sent(account(api, token_url=api.base_url + "/token"), reply(), http)
    assert found is not None and api.requests[-1].headers["authorization"] == "Bearer ya29.a0AfB_byFreshToken"
