"""Polled Bluesky events → :class:`InboundMessage`.

Two kinds of stored event, each the platform's own JSON:

- a **notification** of ``app.bsky.notification.listNotifications`` (``{uri, cid, author, reason, record,
  indexedAt, ...}``) whose reason is ``mention``, ``reply`` or ``quote``: a public post. The poll adds the author's
  ``followersCount`` (from ``app.bsky.actor.getProfiles``) to ``author`` when it could read it;
- a **chat log entry** of ``chat.bsky.convo.getLog`` (``{"$type": "chat.bsky.convo.defs#logCreateMessage", rev,
  convoId, message}``): a direct message. The poll adds ``convo``, the conversation's view from
  ``chat.bsky.convo.getConvo`` (its members' handles and names), when it could read it.
"""

from __future__ import annotations

from typing import Any

from compris.connectors.base import (
    Attachment,
    Author,
    InboundMessage,
    ParentPost,
    ParsedDelivery,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.wire import JSON, arr, from_iso, load_object, obj, opt_int, opt_obj, opt_str, req_str

PUBLIC_REASONS = ("mention", "reply", "quote")
CREATE_MESSAGE = "chat.bsky.convo.defs#logCreateMessage"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain"
APP = "https://bsky.app"


def event_id(event: JSON) -> str:
    """The stored event's id: a notification's ``uri`` and ``cid``, a direct message's conversation and id."""
    if "reason" in event:
        return f"{event.get('uri')}#{event.get('cid')}"
    message: JSON = event["message"] if isinstance(event.get("message"), dict) else {}
    return f"chat:{event.get('convoId')}:{message.get('id')}"


def parse(body: bytes, *, our_did: str) -> ParsedDelivery:
    event = load_object(body)
    if "reason" in event:
        return _notification(event, our_did)
    kind = opt_str(event, "$type")
    if kind is None:
        raise UnprocessableEvent("neither a notification nor a chat log entry")
    if kind != CREATE_MESSAGE:
        return ParsedDelivery(skipped=(f"chat log entry {kind[:80]}",))
    return _chat_message(event, our_did)


def _ref(value: object, what: str) -> dict[str, str] | None:
    if value is None:
        return None
    data = obj(value, what)
    return {"uri": req_str(data, "uri", what), "cid": req_str(data, "cid", what)}


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _author(data: JSON, what: str) -> Author:
    did = req_str(data, "did", what)
    followers = opt_int(data, "followersCount")
    return Author(platform_user_id=did, handle=opt_str(data, "handle"), name=opt_str(data, "displayName") or None,
                  followers=followers if followers is None or followers >= 0 else None,
                  avatar_url=opt_str(data, "avatar"))


def _images(embed: JSON, did: str) -> tuple[Attachment, ...]:
    kind = opt_str(embed, "$type")
    if kind == "app.bsky.embed.recordWithMedia":
        return _images(opt_obj(embed.get("media"), "embed.media"), did)
    if kind == "app.bsky.embed.video":
        video = opt_obj(embed.get("video"), "embed.video")
        return (Attachment(kind="video", mime_type=opt_str(video, "mimeType"), size=opt_int(video, "size"),
                           name=_blob_cid(video)),)
    if kind != "app.bsky.embed.images":
        return ()
    found = []
    for item in arr(embed.get("images"), "embed.images"):
        image = opt_obj(obj(item, "image").get("image"), "image.image")
        cid = _blob_cid(image)
        found.append(Attachment(kind="image", url=f"{CDN}/{did}/{cid}@jpeg" if cid else None,
                                name=opt_str(obj(item, "image"), "alt") or None,
                                mime_type=opt_str(image, "mimeType"), size=opt_int(image, "size")))
    return tuple(found)


def _blob_cid(blob: JSON) -> str | None:
    ref = blob.get("ref")
    if isinstance(ref, dict):
        return opt_str(ref, "$link")
    return opt_str(blob, "cid")


def _notification(event: JSON, our_did: str) -> ParsedDelivery:
    reason = req_str(event, "reason", "notification")
    if reason not in PUBLIC_REASONS:
        return ParsedDelivery(skipped=(f"notification {reason[:40]}",))
    uri, cid = req_str(event, "uri", "notification"), req_str(event, "cid", "notification")
    author = _author(obj(event.get("author"), "notification.author"), "notification.author")
    record = obj(event.get("record"), "notification.record")
    text = opt_str(record, "text") or ""
    reply = opt_obj(record.get("reply"), "record.reply")
    root, parent = _ref(reply.get("root"), "reply.root"), _ref(reply.get("parent"), "reply.parent")
    if (root is None) != (parent is None):
        raise UnprocessableEvent("a reply needs both its root and its parent")
    this = {"uri": uri, "cid": cid}
    created = opt_str(record, "createdAt") or req_str(event, "indexedAt", "notification")
    langs = [str(lang) for lang in arr(record.get("langs"), "record.langs") if isinstance(lang, str)]
    embed = opt_obj(record.get("embed"), "record.embed")
    quoted = None
    if opt_str(embed, "$type") in ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia"):
        inner = opt_obj(embed.get("record"), "embed.record")
        quoted = opt_str(opt_obj(inner.get("record"), "embed.record.record"), "uri") or opt_str(inner, "uri")
    handle = author.handle or author.platform_user_id
    extra: dict[str, Any] = {
        "reason": reason, "post": this, "root": root or this, "parent": parent, "langs": langs[:3],
        "indexed_at": opt_str(event, "indexedAt"),
    }
    if quoted:
        extra["quoted"] = quoted
    return ParsedDelivery(messages=(InboundMessage(
        platform_message_id=uri,
        thread_key=(root or this)["uri"],
        visibility=Visibility.PUBLIC,
        author=author,
        text=text,
        created_at=from_iso(created, "record.createdAt"),
        reply_to_platform_id=parent["uri"] if parent else None,
        attachments=_images(embed, author.platform_user_id),
        is_own=author.platform_user_id == our_did,
        permalink=f"{APP}/profile/{handle}/post/{rkey(uri)}",
        extra=extra,
        parent_post=_root_post(root["uri"], our_did) if root is not None else None,
    ),))


def _root_post(uri: str, our_did: str) -> ParentPost:
    """The post that started a reply's thread (``at://<did>/app.bsky.feed.post/<rkey>``): its author is the did in
    its address; its text comes only on request."""
    did = uri.removeprefix("at://").split("/", 1)[0] or None
    return ParentPost(platform_post_id=uri, permalink=f"{APP}/profile/{did}/post/{rkey(uri)}" if did else None,
                      author_id=did, by_account=did == our_did if did else None)


def _chat_message(event: JSON, our_did: str) -> ParsedDelivery:
    convo_id = req_str(event, "convoId", "chat log entry")
    message = obj(event.get("message"), "chat log entry.message")
    if opt_str(message, "$type") == "chat.bsky.convo.defs#deletedMessageView":
        return ParsedDelivery(skipped=("a deleted direct message",))
    message_id = req_str(message, "id", "message")
    sender = req_str(obj(message.get("sender"), "message.sender"), "did", "message.sender")
    convo = opt_obj(event.get("convo"), "convo")
    members = [obj(m, "convo.members[]") for m in arr(convo.get("members"), "convo.members")]
    profile = next((m for m in members if m.get("did") == sender), {"did": sender})
    others = [m for m in members if m.get("did") != our_did]
    customer = _author(others[0], "convo.members[]") if len(others) == 1 else None
    author = _author(profile, "message.sender")
    extra: dict[str, Any] = {"convo_id": convo_id, "rev": opt_str(message, "rev")}
    if customer is not None:
        extra["participant"] = customer.platform_user_id
    return ParsedDelivery(messages=(InboundMessage(
        platform_message_id=message_id,
        thread_key=convo_id,
        visibility=Visibility.PRIVATE,
        author=author,
        text=opt_str(message, "text") or "",
        created_at=from_iso(req_str(message, "sentAt", "message"), "message.sentAt"),
        is_own=sender == our_did,
        extra=extra,
    ),))
