"""Facebook Page ``feed`` changes: comments and visitor posts (add, edited, remove)."""

from __future__ import annotations

from typing import Any

from compris.connectors.base import Attachment, Author, DeliveryStatus, InboundMessage, ParentPost, Visibility
from compris.connectors.meta.messaging import Collected, when
from compris.connectors.wire import JSON, arr, opt_obj, opt_str, req_str

POST_ITEMS = frozenset({"post", "status", "photo", "video", "share", "link"})
IGNORED_ITEMS = frozenset({"reaction", "like", "event", "album", "rating", "checkin"})


def parse_feed(entry: JSON, value: JSON, out: Collected) -> None:
    page_id = opt_str(entry, "id") or ""
    item = opt_str(value, "item") or ""
    verb = opt_str(value, "verb") or ""
    if item in IGNORED_ITEMS:
        out.skipped.append(f"feed item {item} is not handled")
        return
    if item != "comment" and item not in POST_ITEMS:
        out.skipped.append(f"feed item {item or '(none)'} is not handled")
        return
    post_id = req_str(value, "post_id", f"feed {item}")
    platform_id = req_str(value, "comment_id", "feed comment") if item == "comment" else post_id
    at = when(value["created_time"], "created_time") if value.get("created_time") is not None else \
        when(entry.get("time"), "entry.time")
    if verb == "remove":
        out.statuses.append(DeliveryStatus(platform_message_id=platform_id, status="deleted", at=at))
        return
    if verb not in ("add", "edited"):
        out.skipped.append(f"feed {item} verb {verb or '(none)'} is not handled")
        return
    sender = opt_obj(value.get("from"), "from")
    sender_id = opt_str(sender, "id")
    author = Author(platform_user_id=sender_id or f"anonymous:{platform_id}", name=opt_str(sender, "name"))
    post = opt_obj(value.get("post"), "post")
    attachments = []
    for key, kind in (("photo", "image"), ("video", "video"), ("link", "link")):
        url = opt_str(value, key)
        if url:
            attachments.append(Attachment(kind=kind, url=url))
    for url in arr(value.get("photos"), "photos"):
        if isinstance(url, str):
            attachments.append(Attachment(kind="image", url=url))
    parent = opt_str(value, "parent_id")
    if item == "comment":
        reply_to: str | None = parent or post_id
    else:
        reply_to = None
    extra: dict[str, Any] = {
        "channel": "facebook_feed", "item": item, "verb": verb, "post_id": post_id,
        "edited": verb == "edited",
    }
    if item == "comment":
        extra.update(comment_id=platform_id, parent_id=parent,
                     top_level=parent in (None, post_id), comment_created_at=at.isoformat())
    if value.get("is_hidden") is True:
        extra["hidden"] = True
    parent_post = None
    if item == "comment":
        # the delivery names the post; its text comes only on request (``fetch_post``). A post of the Page's own
        # is ``<page id>_<id>`` but so is a visitor's post on the Page: who wrote it stays unknown until read.
        parent_post = ParentPost(platform_post_id=post_id, permalink=opt_str(post, "permalink_url"),
                                 created_at=when(post["created_time"], "post.created_time")
                                 if isinstance(post.get("created_time"), int) else None)
    out.messages.append(InboundMessage(
        platform_message_id=platform_id,
        thread_key=post_id,
        visibility=Visibility.PUBLIC,
        author=author,
        text=opt_str(value, "message") or "",
        created_at=at,
        reply_to_platform_id=reply_to,
        attachments=tuple(attachments),
        promoted=opt_str(post, "promotion_status") == "active",
        is_own=bool(sender_id) and sender_id == page_id,
        permalink=opt_str(post, "permalink_url") or opt_str(value, "permalink_url"),
        extra=extra,
        parent_post=parent_post,
    ))
