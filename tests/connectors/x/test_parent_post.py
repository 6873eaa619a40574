"""Threads and context (issue 16): a reply names the post that started its conversation, with what X included."""

from __future__ import annotations

import copy
import json

from compris.connectors import fixture
from compris.connectors.base import AccountContext
from compris.connectors.x import XConnector

BRAND = "1450000000000000001"
CONNECTOR = XConnector()


def account() -> AccountContext:
    return AccountContext(account_id=7, workspace_id=1, network="x", external_id=BRAND,
                          settings={"handle": "AirCompris", "webhook_id": "1"}, secrets={})


def test_a_reply_names_the_brand_post_it_is_under_with_the_included_text() -> None:
    delivery = copy.deepcopy(fixture("x", "reply_en_media.json"))
    data = delivery["data"]
    data["includes"]["tweets"] = [{"id": "1890000000000000150", "author_id": BRAND,
                                   "text": "Our spring schedule is out <b>now</b>",
                                   "created_at": "2026-03-14T08:00:00.000Z"}]
    data["includes"]["users"].append({"id": BRAND, "name": "Air Compris", "username": "AirCompris"})
    (message,) = CONNECTOR.parse(account(), json.dumps(delivery).encode()).messages
    post = message.parent_post
    assert post is not None and post.platform_post_id == "1890000000000000150"
    assert post.text == "Our spring schedule is out <b>now</b>" and post.by_account is True
    assert post.author_name == "Air Compris" and post.permalink == "https://x.com/AirCompris/status/1890000000000000150"
    assert post.created_at is not None


def test_without_includes_the_root_is_known_by_its_id_only() -> None:
    (message,) = CONNECTOR.parse(account(), json.dumps(fixture("x", "reply_en_media.json")).encode()).messages
    post = message.parent_post
    assert post is not None and post.platform_post_id == "1890000000000000150" and post.text is None
    assert post.by_account is None  # it answers another post of the conversation: the root's author is unknown
    assert post.permalink == "https://x.com/i/web/status/1890000000000000150"


def test_a_post_that_starts_its_conversation_has_no_parent() -> None:
    delivery = copy.deepcopy(fixture("x", "mention_fr.json"))
    payload = delivery["data"]["payload"]
    payload["conversation_id"] = payload["id"]
    (message,) = CONNECTOR.parse(account(), json.dumps(delivery).encode()).messages
    assert message.parent_post is None
