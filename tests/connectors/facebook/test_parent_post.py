"""Threads and context (issue 16): a feed comment names the post it is under; the post is read from the Graph API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import AccountContext, FetchError
from compris.connectors.facebook import FacebookConnector

PAGE = "104000000000001"
POST = "104000000000001_555000000000001"
CONNECTOR = FacebookConnector()


def account() -> AccountContext:
    return AccountContext(account_id=3, workspace_id=1, network="facebook", external_id=PAGE,
                          settings={"api_base": "https://graph.test/v25.0"},
                          secrets={"page_access_token": "page-token", "app_secret": "s"})


def test_a_comment_names_its_post_and_a_visitor_post_has_none() -> None:
    parsed = CONNECTOR.parse(account(), json.dumps(fixture("facebook", "feed_batch.json")).encode())
    comment, reply, visitor_post = parsed.messages
    assert comment.parent_post is not None and comment.parent_post.platform_post_id == POST
    assert comment.parent_post.permalink == "https://www.facebook.com/AirCompris/posts/pfbid0abc"
    assert comment.parent_post.text is None and comment.parent_post.by_account is None  # read later
    assert reply.parent_post is not None and reply.parent_post.platform_post_id == POST  # a reply: the same post
    assert visitor_post.parent_post is None  # a visitor's post is a post of its own


def test_the_post_is_read_with_its_text_author_and_time() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=fixture("facebook", "post_200.json"))

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        post = CONNECTOR.fetch_post(account(), POST, client)
    assert post is not None and post.text == "Nos vols de printemps sont en ligne ! Réservez avant le 31 mars."
    assert post.by_account is True and post.author_name == "Air Compris"
    assert post.created_at == datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
    assert seen[0].url.path == f"/v25.0/{POST}" and "message" in seen[0].url.params["fields"]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (400, False)])
def test_a_refusal_is_a_fetch_error(status: int, retryable: bool) -> None:
    body = {"error": {"message": "Unsupported get request", "code": 100 if status == 400 else 2}}
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status, json=body))) as client, \
            pytest.raises(FetchError) as caught:
        CONNECTOR.fetch_post(account(), POST, client)
    assert caught.value.retryable is retryable and "page-token" not in caught.value.reason
