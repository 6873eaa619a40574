"""VK Callback API deliveries → messages.

One delivery is one event: ``{"type", "event_id", "v", "group_id", "secret", "object"}``. Handled:

- ``message_new``: a customer's message to the community (``object = {message, client_info}``; before API 5.103 the
  object was the message itself, which is read too);
- ``message_reply``: a message the community sent (from Compris or from VK's own inbox): our own echo;
- ``wall_reply_new``: a comment on the community's wall (``object`` = the comment with ``post_id`` and
  ``post_owner_id``/``owner_id``);
- ``photo_comment_new``: a comment on one of the community's photos (``photo_id``, ``photo_owner_id``).

Everything else is skipped with its reason.
"""

from __future__ import annotations

import mimetypes
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
from compris.connectors.wire import JSON, arr, from_unix, load_object, obj, opt_int, opt_obj, opt_str, req_str

#: peer ids of group chats start here (2000000000 + chat id); a community's private conversations are below
CHAT_PEER_BASE = 2_000_000_000
#: VK's document types (``doc.type``) → Compris's attachment kinds
DOC_KINDS = {3: "image", 4: "image", 5: "audio", 6: "video"}
SKIPPED_TYPES = {
    "message_edit": "an edited message (the first version was recorded)",
    "message_allow": "the customer allowed messages from the community",
    "message_deny": "the customer denied messages from the community",
    "message_typing_state": "a typing notification",
    "message_read": "a read receipt",
    "message_event": "a callback button press",
    "wall_post_new": "a new post on the community's wall (its comments are what Compris reads)",
    "wall_repost": "a repost",
    "wall_reply_edit": "an edited comment (the first version was recorded)",
    "wall_reply_delete": "a deleted comment",
    "wall_reply_restore": "a restored comment",
    "photo_comment_edit": "an edited photo comment",
    "photo_comment_delete": "a deleted photo comment",
    "photo_new": "a new photo in the community",
    "group_join": "someone joined the community",
    "group_leave": "someone left the community",
}


def envelope(body: bytes) -> JSON:
    return load_object(body)


def community_id(data: JSON) -> str:
    return str(opt_int(data, "group_id") or "")


def parse(body: bytes, *, group_id: str) -> ParsedDelivery:
    data = envelope(body)
    kind = req_str(data, "type", "event")
    delivered_to = community_id(data)
    if group_id and delivered_to and delivered_to != group_id:
        return ParsedDelivery(skipped=(f"an event for community {delivered_to}, not for this account ({group_id})",))
    common = {"channel": "vk", "event_type": kind, "event_id": opt_str(data, "event_id"),
              "api_version": opt_str(data, "v"), "group_id": delivered_to or group_id}
    own = f"-{group_id}" if group_id else None
    if kind == "confirmation":
        return ParsedDelivery(skipped=("the Callback API confirmation request",))
    payload = obj(data.get("object"), "object")
    if kind == "message_new":
        message = _message(_message_of(payload), common, own=own, is_own=False)
        if message is None:
            return ParsedDelivery(skipped=("a message in a group chat (Compris reads the community's private "
                                           "conversations)",))
        client_info = opt_obj(payload.get("client_info"), "client_info")
        if client_info:
            message = _with_extra(message, client_info={k: client_info.get(k) for k in
                                                        ("keyboard", "inline_keyboard", "carousel", "lang_id")})
        return ParsedDelivery(messages=(message,))
    if kind == "message_reply":
        message = _message(_message_of(payload), common, own=own, is_own=True)
        if message is None:
            return ParsedDelivery(skipped=("a community message in a group chat",))
        return ParsedDelivery(messages=(message,))
    if kind == "wall_reply_new":
        return ParsedDelivery(messages=(_wall_comment(payload, common, own=own),))
    if kind == "photo_comment_new":
        return ParsedDelivery(messages=(_photo_comment(payload, common, own=own),))
    reason = SKIPPED_TYPES.get(kind, "an event type Compris does not handle")
    return ParsedDelivery(skipped=(f"{kind}: {reason}",))


def _with_extra(message: InboundMessage, **extra: Any) -> InboundMessage:
    import dataclasses

    return dataclasses.replace(message, extra={**message.extra, **extra})


def _message_of(payload: JSON) -> JSON:
    """API ≥ 5.103 wraps the message (``{message, client_info}``); older versions sent the message itself."""
    inner = payload.get("message")
    return obj(inner, "object.message") if inner is not None else payload


def _user_author(from_id: str, own: str | None) -> Author:
    if from_id.startswith("-"):  # a community (ours, or another one commenting)
        return Author(platform_user_id=from_id, handle=f"club{from_id[1:]}")
    return Author(platform_user_id=from_id, handle=f"id{from_id}")


def _when(data: JSON, what: str) -> Any:
    date = opt_int(data, "date")
    if date is None:
        raise UnprocessableEvent(f"{what} without a date")
    return from_unix(date, f"{what}.date")


def _message(message: JSON, common: JSON, *, own: str | None, is_own: bool) -> InboundMessage | None:
    message_id = opt_int(message, "id")
    peer = opt_int(message, "peer_id")
    sender = opt_int(message, "from_id")
    if peer is None:
        raise UnprocessableEvent("message without peer_id")
    if peer >= CHAT_PEER_BASE:
        return None
    if not message_id:
        raise UnprocessableEvent("message without id")
    if sender is None:
        sender = int(own) if is_own and own else peer
    customer = str(peer)
    author = (Author(platform_user_id=own or str(sender), handle=f"club{(own or str(sender)).lstrip('-')}")
              if is_own else _user_author(str(sender), own))
    reply = opt_obj(message.get("reply_message"), "reply_message")
    reply_id = opt_int(reply, "id") if reply else None
    attachments, notes = attachments_of(arr(message.get("attachments"), "attachments"))
    geo = opt_obj(message.get("geo"), "geo")
    if geo:
        coords = opt_obj(geo.get("coordinates"), "geo.coordinates")
        place = opt_obj(geo.get("place"), "geo.place")
        attachments.append(Attachment(kind="location", name=opt_str(place, "title")
                                      or f"{coords.get('latitude')}, {coords.get('longitude')}"))
    extra: dict[str, Any] = {**common, "peer_id": customer, "from_id": str(sender),
                             "conversation_message_id": opt_str(message, "conversation_message_id")}
    if notes:
        extra["attachments"] = notes
    forwarded = [opt_str(obj(f, "fwd_message"), "text") or "" for f in arr(message.get("fwd_messages"),
                                                                             "fwd_messages")]
    if forwarded:
        extra["forwarded"] = [t[:1000] for t in forwarded[:10]]
    payload = message.get("payload")
    if isinstance(payload, str) and payload:
        extra["payload"] = payload[:1000]  # a keyboard button's payload
        choice = _choice(payload)
        if choice:
            extra["choice"] = choice  # a survey's answer tapped on the inline keyboard Compris sent
    if is_own:
        admin = opt_str(message, "admin_author_id")
        if admin:
            extra["admin_author_id"] = admin  # the community admin who wrote it in VK's own inbox
    group = str(common.get("group_id") or "")
    return InboundMessage(
        platform_message_id=str(message_id),
        thread_key=f"dm:{customer}",
        visibility=Visibility.PRIVATE,
        author=author,
        text=opt_str(message, "text") or "",
        created_at=_when(message, "message"),
        reply_to_platform_id=str(reply_id) if reply_id else None,
        attachments=tuple(attachments),
        is_own=is_own,
        permalink=f"https://vk.com/gim{group}?sel={customer}" if group else None,
        extra=extra,
    )


def _choice(payload: str) -> str | None:
    """The ``choice`` of a button payload Compris wrote (``{"choice": "csat:42:5"}``), None for any other."""
    import json

    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    value = data.get("choice") if isinstance(data, dict) else None
    return value[:255] if isinstance(value, str) and value else None


def _comment_common(comment: JSON, common: JSON, own: str | None, what: str) -> tuple[str, Author, JSON]:
    comment_id = opt_int(comment, "id")
    if not comment_id:
        raise UnprocessableEvent(f"{what} without id")
    sender = opt_int(comment, "from_id")
    if sender is None:
        raise UnprocessableEvent(f"{what} without from_id")
    extra: JSON = {**common, "comment_id": str(comment_id), "from_id": str(sender)}
    reply_to_comment = opt_int(comment, "reply_to_comment")
    if reply_to_comment:
        extra["reply_to_comment"] = str(reply_to_comment)
    reply_to_user = opt_int(comment, "reply_to_user")
    if reply_to_user:
        extra["reply_to_user"] = str(reply_to_user)
    parents = [p for p in arr(comment.get("parents_stack"), "parents_stack") if isinstance(p, int)
               and not isinstance(p, bool)]
    if parents:
        extra["thread_root"] = str(parents[0])
    return str(comment_id), _user_author(str(sender), own), extra


def _wall_comment(comment: JSON, common: JSON, *, own: str | None) -> InboundMessage:
    comment_id, author, extra = _comment_common(comment, common, own, "wall comment")
    post_id = opt_int(comment, "post_id")
    owner = opt_int(comment, "post_owner_id")
    owner = owner if owner is not None else opt_int(comment, "owner_id")
    if not post_id or owner is None:
        raise UnprocessableEvent("wall comment without post_id or owner")
    extra.update(post_id=str(post_id), owner_id=str(owner), item="wall_comment")
    attachments, notes = attachments_of(arr(comment.get("attachments"), "attachments"))
    if notes:
        extra["attachments"] = notes
    reply_to = extra.get("reply_to_comment")
    link = f"https://vk.com/wall{owner}_{post_id}?reply={comment_id}"
    if extra.get("thread_root"):
        link += f"&thread={extra['thread_root']}"
    return InboundMessage(
        platform_message_id=wall_comment_id(str(owner), comment_id),
        thread_key=f"wall{owner}_{post_id}",
        visibility=Visibility.PUBLIC,
        author=author,
        text=opt_str(comment, "text") or "",
        created_at=_when(comment, "wall comment"),
        reply_to_platform_id=wall_comment_id(str(owner), str(reply_to)) if reply_to else None,
        attachments=tuple(attachments),
        is_own=bool(own) and author.platform_user_id == own,
        permalink=link,
        extra=extra,
        parent_post=ParentPost(platform_post_id=f"wall{owner}_{post_id}", permalink=f"https://vk.com/wall{owner}_{post_id}",
                               author_id=str(owner), by_account=str(owner) == own if own else None),
    )


def _photo_comment(comment: JSON, common: JSON, *, own: str | None) -> InboundMessage:
    comment_id, author, extra = _comment_common(comment, common, own, "photo comment")
    photo_id = opt_int(comment, "photo_id")
    owner = opt_int(comment, "photo_owner_id")
    if not photo_id or owner is None:
        raise UnprocessableEvent("photo comment without photo_id or photo_owner_id")
    extra.update(photo_id=str(photo_id), owner_id=str(owner), item="photo_comment")
    attachments, notes = attachments_of(arr(comment.get("attachments"), "attachments"))
    if notes:
        extra["attachments"] = notes
    reply_to = extra.get("reply_to_comment")
    return InboundMessage(
        platform_message_id=photo_comment_id(str(owner), comment_id),
        thread_key=f"photo{owner}_{photo_id}",
        visibility=Visibility.PUBLIC,
        author=author,
        text=opt_str(comment, "text") or "",
        created_at=_when(comment, "photo comment"),
        reply_to_platform_id=photo_comment_id(str(owner), str(reply_to)) if reply_to else None,
        attachments=tuple(attachments),
        is_own=bool(own) and author.platform_user_id == own,
        permalink=f"https://vk.com/photo{owner}_{photo_id}",
        extra=extra,
    )


def wall_comment_id(owner: str, comment: str) -> str:
    """Compris's id for a wall comment (VK numbers comments per wall owner)."""
    return f"wall_comment:{owner}_{comment}"


def photo_comment_id(owner: str, comment: str) -> str:
    return f"photo_comment:{owner}_{comment}"


# --- attachments ---------------------------------------------------------------------------------

def _largest(sizes: list[Any], what: str) -> str | None:
    """The URL of the largest size (by area; VK's size letters otherwise: w > z > y > x > ...)."""
    order = "smxopqryzw"
    best: tuple[int, int, str] | None = None
    for item in sizes:
        size = obj(item, what)
        url = opt_str(size, "url") or opt_str(size, "src")
        if not url:
            continue
        area = (opt_int(size, "width") or 0) * (opt_int(size, "height") or 0)
        letter = opt_str(size, "type") or ""
        rank = (area, order.find(letter) if len(letter) == 1 else -1, url)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def _owner_item(body: JSON) -> str:
    return f"{opt_str(body, 'owner_id') or opt_str(body, 'to_id') or opt_str(body, 'from_id')}_{opt_str(body, 'id')}"


def attachments_of(items: list[Any]) -> tuple[list[Attachment], list[JSON]]:
    """VK attachments (``[{type, <type>: {...}}]``) → Compris attachments, and short notes kept in ``extra``."""
    found: list[Attachment] = []
    notes: list[JSON] = []
    for item in items:
        entry = obj(item, "attachment")
        kind = opt_str(entry, "type") or "unknown"
        body = opt_obj(entry.get(kind), kind) if isinstance(entry.get(kind), dict) else {}
        attachment = _attachment(kind, body)
        found.append(attachment)
        note: JSON = {"type": kind}
        if kind == "audio_message" and opt_str(body, "transcript"):
            note["transcript"] = (opt_str(body, "transcript") or "")[:2000]
        if kind in ("photo", "doc", "video", "audio_message", "wall", "sticker", "market"):
            note["id"] = _owner_item(body) if kind != "sticker" else opt_str(body, "sticker_id")
        notes.append(note)
    return found, notes


def _attachment(kind: str, body: JSON) -> Attachment:
    if kind == "photo":
        return Attachment(kind="image", url=_largest(arr(body.get("sizes"), "photo.sizes"), "photo size"),
                          name=opt_str(body, "text") or None)
    if kind == "doc":
        doc_type = opt_int(body, "type")
        title = opt_str(body, "title")
        ext = opt_str(body, "ext")
        guess = mimetypes.guess_type(f"x.{ext}")[0] if ext else None
        return Attachment(kind=DOC_KINDS.get(doc_type or 0, "file"), url=opt_str(body, "url"), name=title,
                          mime_type=guess, size=opt_int(body, "size"))
    if kind == "audio_message":
        mp3 = opt_str(body, "link_mp3")
        return Attachment(kind="audio", url=mp3 or opt_str(body, "link_ogg"),
                          mime_type="audio/mpeg" if mp3 else ("audio/ogg" if opt_str(body, "link_ogg") else None),
                          name="voice message")
    if kind == "sticker":
        images = arr(body.get("images"), "sticker.images") or arr(body.get("images_with_background"),
                                                                   "sticker.images_with_background")
        return Attachment(kind="sticker", url=_largest(images, "sticker image"))
    if kind == "link":
        return Attachment(kind="link", url=opt_str(body, "url"), name=opt_str(body, "title"))
    if kind == "wall":
        text = (opt_str(body, "text") or "").strip()
        return Attachment(kind="post", url=f"https://vk.com/wall{_owner_item(body)}", name=text[:100] or None)
    if kind == "video":
        return Attachment(kind="video", url=f"https://vk.com/video{_owner_item(body)}", name=opt_str(body, "title"))
    if kind == "audio":
        name = " — ".join(p for p in (opt_str(body, "artist"), opt_str(body, "title")) if p)
        return Attachment(kind="audio", url=opt_str(body, "url") or None, name=name or None)
    if kind == "graffiti":
        return Attachment(kind="image", url=opt_str(body, "url"), name="graffiti")
    if kind == "market":
        return Attachment(kind="product", url=f"https://vk.com/product{_owner_item(body)}",
                          name=opt_str(body, "title"))
    return Attachment(kind=kind[:40])
