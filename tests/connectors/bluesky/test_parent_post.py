"""Threads and context (issue 16): a reply names the post at the root of its thread."""

from __future__ import annotations

import json

from compris.connectors import fixture
from compris.connectors.bluesky import inbound

ROOT = "at://did:plc:4ir2ezmxbzxcu6gb2ilpvvrl/app.bsky.feed.post/3lkpzq7tpwc2k"


def _messages(our_did: str) -> dict[str, object]:
    found = {}
    for event in fixture("bluesky", "notifications_page1.json")["notifications"]:
        for message in inbound.parse(json.dumps(event).encode(), our_did=our_did).messages:
            found[event["reason"]] = message
    return found


def test_a_reply_names_its_root_post_and_whose_it_is() -> None:
    ours = _messages("did:plc:4ir2ezmxbzxcu6gb2ilpvvrl")
    reply = ours["reply"]
    assert reply.parent_post is not None and reply.parent_post.platform_post_id == ROOT  # type: ignore[attr-defined]
    assert reply.parent_post.by_account is True  # type: ignore[attr-defined]
    assert reply.parent_post.permalink == (  # type: ignore[attr-defined]
        "https://bsky.app/profile/did:plc:4ir2ezmxbzxcu6gb2ilpvvrl/post/3lkpzq7tpwc2k")
    assert ours["mention"].parent_post is None  # type: ignore[attr-defined]
    assert _messages("did:plc:someoneelse")["reply"].parent_post.by_account is False  # type: ignore[attr-defined]
