"""Threads and context (issue 16): a comment names the video it is under (our channel's)."""

from __future__ import annotations

import json

from compris.connectors import fixture
from compris.connectors.youtube import inbound

CHANNEL = "UCx9yRcPl0Ztv7vKmqJ4zYbw"


def test_every_comment_names_its_video_with_its_link() -> None:
    messages = inbound.parse(CHANNEL, json.dumps(fixture("youtube", "comment_threads_page1.json")).encode()).messages
    assert messages
    for message in messages:
        post = message.parent_post
        assert post is not None and post.platform_post_id == message.extra["video_id"]
        assert post.permalink == f"https://www.youtube.com/watch?v={post.platform_post_id}"
        assert post.by_account is True
    # comments under one video share its post even though YouTube gives each top-level comment a thread of its own
    first_video = [m for m in messages if m.extra["video_id"] == "dQ8w9WgXcQa"]
    assert len({m.thread_key for m in first_video}) > 1
    assert len({m.parent_post.platform_post_id for m in first_video if m.parent_post}) == 1
