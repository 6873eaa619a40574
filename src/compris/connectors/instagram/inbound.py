"""Instagram ``comments``/``live_comments`` and ``mentions`` changes (DMs are ``messaging[]``, shared)."""

from __future__ import annotations

from typing import Any

from compris.connectors.base import Author, InboundMessage, ParentPost, UnprocessableEvent, Visibility
from compris.connectors.meta.messaging import Collected, when
from compris.connectors.wire import JSON, opt_obj, opt_str, req_str


def parse_comment(entry: JSON, value: JSON, field: str, out: Collected) -> None:
    own_id = opt_str(entry, "id") or ""
    comment_id = opt_str(value, "id") or opt_str(value, "comment_id")
    if not comment_id:
        raise UnprocessableEvent("comment without id")
    media = opt_obj(value.get("media"), "media")
    media_id = req_str(media, "id", "comment media")
    parent = opt_str(value, "parent_id")
    sender = opt_obj(value.get("from"), "from")
    sender_id = opt_str(sender, "id")
    at = when(value["timestamp"] if value.get("timestamp") is not None else entry.get("time"), "time")
    extra: dict[str, Any] = {
        "channel": "instagram_comment", "field": field, "media_id": media_id,
        "media_product_type": opt_str(media, "media_product_type"), "comment_id": comment_id,
        "parent_id": parent, "top_level_comment_id": parent or comment_id, "top_level": parent is None,
        "comment_created_at": at.isoformat(),
    }
    out.messages.append(InboundMessage(
        platform_message_id=comment_id,
        thread_key=media_id,
        visibility=Visibility.PUBLIC,
        author=Author(platform_user_id=sender_id or f"anonymous:{comment_id}", handle=opt_str(sender, "username")),
        text=opt_str(value, "text") or "",
        created_at=at,
        reply_to_platform_id=parent or media_id,
        promoted=media.get("ad_id") is not None,
        is_own=bool(sender_id) and sender_id == own_id,
        extra=extra,
        # the comments webhook covers our own account's media only; its caption comes on request (``fetch_post``)
        parent_post=ParentPost(platform_post_id=media_id, by_account=True),
    ))


def parse_mention(entry: JSON, value: JSON, out: Collected) -> None:
    """A mention names only ids: the text and author are fetched later (``fetch_mention``)."""
    media_id = req_str(value, "media_id", "mention")
    comment_id = opt_str(value, "comment_id")
    platform_id = comment_id or media_id
    out.messages.append(InboundMessage(
        platform_message_id=platform_id,
        thread_key=media_id,
        visibility=Visibility.PUBLIC,
        author=Author(platform_user_id=f"unknown:{platform_id}"),
        text="",
        created_at=when(entry.get("time"), "entry.time"),
        reply_to_platform_id=media_id if comment_id else None,
        extra={"channel": "instagram_mention", "mention": True, "needs_fetch": True, "media_id": media_id,
               "comment_id": comment_id, "top_level_comment_id": comment_id},
        # a comment mentioning us is under someone else's media (a mention in a caption is the media itself)
        parent_post=ParentPost(platform_post_id=media_id, by_account=False) if comment_id else None,
    ))
