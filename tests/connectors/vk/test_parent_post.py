"""Threads and context (issue 16): a wall comment names the wall post it is under."""

from __future__ import annotations

import json

from compris.connectors import fixture
from compris.connectors.vk import inbound


def test_a_wall_comment_names_the_communitys_post() -> None:
    delivery = fixture("vk", "wall_reply_new.json")
    (message,) = inbound.parse(json.dumps(delivery).encode(), group_id=str(delivery["group_id"])).messages
    post = message.parent_post
    assert post is not None and post.platform_post_id == "wall-218861756_118" == message.thread_key
    assert post.by_account is True and post.permalink == "https://vk.com/wall-218861756_118"


def test_a_comment_under_another_wall_is_not_ours() -> None:
    delivery = fixture("vk", "wall_reply_new.json")
    delivery["object"].update(owner_id=-555, post_owner_id=-555)  # a comment on another community's post
    (message,) = inbound.parse(json.dumps(delivery).encode(), group_id=str(delivery["group_id"])).messages
    assert message.parent_post is not None and message.parent_post.by_account is False
