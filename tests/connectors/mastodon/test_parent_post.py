"""Threads and context (issue 16): a public reply names the status it answers."""

from __future__ import annotations

import copy
import json

from compris.connectors import fixture
from compris.connectors.mastodon import inbound

OWN = "109000000000000001"


def test_a_reply_to_our_status_names_it_and_a_new_mention_has_none() -> None:
    mention = fixture("mastodon", "notification_mention.json")
    (fresh,) = inbound.parse(json.dumps(mention).encode(), own_id=OWN).messages
    assert fresh.parent_post is None
    reply = copy.deepcopy(mention)
    reply["status"].update(in_reply_to_id="112233", in_reply_to_account_id=OWN)
    (message,) = inbound.parse(json.dumps(reply).encode(), own_id=OWN).messages
    assert message.parent_post is not None and message.parent_post.platform_post_id == "112233"
    assert message.parent_post.by_account is True and message.thread_key == "112233"
    reply["status"].update(in_reply_to_account_id="42")
    (other,) = inbound.parse(json.dumps(reply).encode(), own_id=OWN).messages
    assert other.parent_post is not None and other.parent_post.by_account is False


def test_a_direct_message_has_no_post() -> None:
    (message,) = inbound.parse(json.dumps(fixture("mastodon", "notification_direct.json")).encode(),
                               own_id=OWN).messages
    assert message.parent_post is None
