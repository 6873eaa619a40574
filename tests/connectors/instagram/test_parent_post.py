"""Threads and context (issue 16): a comment names the media it is under; the media is read from the Graph API."""

from __future__ import annotations

import json

import httpx

from compris.connectors import fixture
from compris.connectors.base import AccountContext
from compris.connectors.instagram import InstagramConnector

CONNECTOR = InstagramConnector()


def account(own: str) -> AccountContext:
    return AccountContext(account_id=4, workspace_id=1, network="instagram", external_id=own,
                          settings={"api_base": "https://graph.test/v25.0"}, secrets={"access_token": "ig-token"})


def test_comments_name_our_media_and_a_mention_someone_elses() -> None:
    batch = fixture("instagram", "comments_batch.json")
    own = batch["entry"][0]["id"]
    messages = CONNECTOR.parse(account(own), json.dumps(batch).encode()).messages
    comments = [m for m in messages if m.extra.get("channel") == "instagram_comment"]
    assert comments and all(m.parent_post is not None and m.parent_post.by_account is True for m in comments)
    assert all(m.parent_post and m.parent_post.platform_post_id == m.extra["media_id"] for m in comments)
    for mention in (m for m in messages if m.extra.get("channel") == "instagram_mention"):
        assert mention.parent_post is None or mention.parent_post.by_account is False


def test_the_media_is_read_with_its_caption_and_link() -> None:
    answer = {"id": "17890000000000001", "caption": "Nouvelle ligne Nice–Oslo ✈️", "username": "aircompris",
              "permalink": "https://www.instagram.com/p/Cabc/", "timestamp": "2026-03-14T08:00:00+0000"}
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))) as client:
        post = CONNECTOR.fetch_post(account("1784"), "17890000000000001", client)
    assert post is not None and post.text == "Nouvelle ligne Nice–Oslo ✈️" and post.author_name == "aircompris"
    assert post.permalink == "https://www.instagram.com/p/Cabc/" and post.created_at is not None
