"""YouTube comments → :class:`InboundMessage`.

What the poll stores for each comment (one raw event per comment and version, see ``connector.poll``)::

    {"kind": "compris#youtubeComment", "channelId": <our channel>, "videoTitle": <title or null>,
     "thread": {"id", "videoId", "channelId", "canReply", "totalReplyCount", "isPublic"},
     "comment": <a youtube#comment resource as the API gave it>}

``parse`` also reads a ``youtube#commentThreadListResponse`` or a ``youtube#commentThread`` as the API returns them
(every comment inside), so that recorded API answers can be parsed directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from compris.connectors.base import Author, InboundMessage, ParentPost, ParsedDelivery, UnprocessableEvent, Visibility

EVENT_KIND = "compris#youtubeComment"
MAX_TEXT = 20_000


def load(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnprocessableEvent("not JSON") from None
    if not isinstance(data, dict):
        raise UnprocessableEvent("not a JSON object")
    return data


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time as YouTube writes it (``2026-03-14T09:12:45Z``), aware, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def comment_time(comment: Mapping[str, Any]) -> datetime | None:
    """When a comment last changed (``updatedAt``, else ``publishedAt``)."""
    snippet = comment.get("snippet")
    if not isinstance(snippet, Mapping):
        return None
    return timestamp(snippet.get("updatedAt")) or timestamp(snippet.get("publishedAt"))


def author_channel(snippet: Mapping[str, Any]) -> str | None:
    value = snippet.get("authorChannelId")
    if isinstance(value, Mapping):
        return _str(value.get("value"))
    return _str(value)


def thread_summary(thread: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a ``youtube#commentThread`` each stored comment keeps."""
    snippet = thread.get("snippet") if isinstance(thread.get("snippet"), Mapping) else {}
    assert isinstance(snippet, Mapping)
    return {"id": thread.get("id"), "videoId": snippet.get("videoId"), "channelId": snippet.get("channelId"),
            "canReply": snippet.get("canReply"), "totalReplyCount": snippet.get("totalReplyCount"),
            "isPublic": snippet.get("isPublic")}


def thread_comments(thread: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The top-level comment and the replies a ``youtube#commentThread`` carries (not always all of them)."""
    snippet = thread.get("snippet")
    if isinstance(snippet, Mapping) and isinstance(snippet.get("topLevelComment"), dict):
        yield snippet["topLevelComment"]
    replies = thread.get("replies")
    if isinstance(replies, Mapping) and isinstance(replies.get("comments"), list):
        for reply in replies["comments"]:
            if isinstance(reply, dict):
                yield reply


def event(channel_id: str, thread: Mapping[str, Any], comment: Mapping[str, Any],
          video_title: str | None) -> dict[str, Any]:
    return {"kind": EVENT_KIND, "channelId": channel_id, "videoTitle": video_title,
            "thread": thread_summary(thread), "comment": dict(comment)}


def permalink(video_id: str | None, comment_id: str) -> str | None:
    """The comment's address on YouTube; None when the ids are not text an address can carry (a lone surrogate in
    a malformed delivery)."""
    if not video_id:
        return None
    try:
        return f"https://www.youtube.com/watch?v={quote(video_id, safe='')}&lc={quote(comment_id, safe='')}"
    except UnicodeEncodeError:
        return None


def video_link(video_id: str) -> str | None:
    try:
        return f"https://www.youtube.com/watch?v={quote(video_id, safe='')}"
    except UnicodeEncodeError:
        return None


def message(channel_id: str, thread: Mapping[str, Any], comment: Mapping[str, Any],
            video_title: str | None) -> InboundMessage:
    """One comment as a message; :class:`UnprocessableEvent` when a part it needs is missing."""
    comment_id = _str(comment.get("id"))
    snippet = comment.get("snippet")
    if comment_id is None or not isinstance(snippet, Mapping):
        raise UnprocessableEvent("a comment without id or snippet")
    parent = _str(snippet.get("parentId"))
    thread_id = parent or _str(thread.get("id")) or comment_id
    published = timestamp(snippet.get("publishedAt"))
    updated = timestamp(snippet.get("updatedAt")) or published
    if published is None or updated is None:
        raise UnprocessableEvent(f"comment {comment_id} has no publication time")
    text = snippet.get("textDisplay")
    if not isinstance(text, str):
        text = snippet.get("textOriginal")
    if not isinstance(text, str):
        raise UnprocessableEvent(f"comment {comment_id} has no text")
    author_id = author_channel(snippet)
    name = _str(snippet.get("authorDisplayName"))
    handle = name[1:] if name and name.startswith("@") and len(name) > 1 else None
    video_id = _str(snippet.get("videoId")) or _str(thread.get("videoId"))
    edited = updated > published
    extra: dict[str, Any] = {"comment_id": comment_id, "thread_id": thread_id, "video_id": video_id,
                             "item": "reply" if parent else "comment"}
    for key in ("likeCount", "moderationStatus"):
        if isinstance(snippet.get(key), int | str):
            extra[key] = snippet[key]
    if isinstance(thread.get("canReply"), bool):
        extra["can_reply"] = thread["canReply"]
    if edited:
        extra["edited"] = True
        extra["edited_at"] = updated.isoformat()
    own = bool(channel_id) and author_id == channel_id
    return InboundMessage(
        # an edit is a new message (the first version keeps the comment's own id)
        platform_message_id=f"{comment_id}@{updated.strftime('%Y%m%dT%H%M%SZ')}" if edited else comment_id,
        thread_key=thread_id,
        visibility=Visibility.PUBLIC,
        author=Author(platform_user_id=author_id or f"name:{name or 'unknown'}", handle=handle, name=name,
                      avatar_url=_str(snippet.get("authorProfileImageUrl"))),
        text=text[:MAX_TEXT],
        created_at=updated,
        reply_to_platform_id=parent,
        thread_title=video_title or (f"YouTube video {video_id}" if video_id else None),
        is_own=own,
        permalink=permalink(video_id, comment_id),
        extra=extra,
        parent_post=ParentPost(
            platform_post_id=video_id, title=video_title, permalink=video_link(video_id),
            author_id=_str(thread.get("channelId")) or channel_id or None,
            by_account=(_str(thread.get("channelId")) or channel_id) == channel_id if channel_id else None,
        ) if video_id else None,
    )


def parse(channel_id: str, body: bytes) -> ParsedDelivery:
    data = load(body)
    kind = data.get("kind")
    if kind == EVENT_KIND:
        thread, comment = data.get("thread"), data.get("comment")
        if not isinstance(thread, Mapping) or not isinstance(comment, Mapping):
            raise UnprocessableEvent("a stored YouTube comment without its thread or comment")
        title = data.get("videoTitle")
        stored_for = _str(data.get("channelId")) or channel_id
        return ParsedDelivery(messages=(message(stored_for, thread, comment, title if isinstance(title, str)
                                                else None),))
    if kind == "youtube#commentThread":
        threads: list[Any] = [data]
    elif kind == "youtube#commentThreadListResponse" and isinstance(data.get("items"), list):
        threads = data["items"]
    else:
        raise UnprocessableEvent(f"not a YouTube comment ({str(kind)[:60]})")
    messages, skipped = [], []
    for thread in threads:
        if not isinstance(thread, Mapping):
            skipped.append("an item that is not an object")
            continue
        summary = thread_summary(thread)
        for comment in thread_comments(thread):
            try:
                messages.append(message(channel_id, summary, comment, None))
            except UnprocessableEvent as exc:
                skipped.append(str(exc))
    return ParsedDelivery(messages=tuple(messages), skipped=tuple(skipped))
