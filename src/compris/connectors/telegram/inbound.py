"""Telegram ``Update`` objects (one per webhook delivery) as Compris messages.

Ids. Telegram numbers messages per chat, so a message's platform id is ``<chat id>:<message id>``; in a Telegram
Business chat (answered on behalf of a business account) it is ``b:<business connection id>:<chat id>:<message id>``
— the same customer may also write to the bot itself, in another chat with the same id. An edit gets its own id
``<message's id>:edit:<edit_date>``. Thread keys: ``<chat id>`` (a private chat's id is the customer's user id; a
group's is negative) and ``b:<connection>:<chat id>`` for business chats.

Files. Telegram gives a ``file_id``; the download URL (``/file/bot<token>/<file_path>``) carries the bot token, so
it is never stored: attachments have no ``url``, and ``extra["files"]`` keeps each file's ``file_id``,
``file_unique_id`` and (once :func:`needs_file_paths` / the connector's ``enrich`` resolved it with ``getFile``) its
``file_path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from compris.connectors.base import (
    Attachment,
    Author,
    DeliveryStatus,
    InboundMessage,
    ParsedDelivery,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.wire import JSON, arr, from_unix, load_object, obj, opt_int, opt_obj, opt_str

MESSAGE_UPDATES = ("message", "edited_message", "business_message", "edited_business_message")
GROUP_TYPES = frozenset({"group", "supergroup"})
#: update types Compris asks for in ``setWebhook``'s ``allowed_updates``
ALLOWED_UPDATES = ("message", "edited_message", "business_connection", "business_message",
                   "edited_business_message", "deleted_business_messages", "callback_query")


@dataclass
class _Out:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def update_id(body: bytes) -> int | None:
    """The delivery's ``update_id`` (None when the body is not an update)."""
    try:
        data = load_object(body)
        value = opt_int(data, "update_id")
    except UnprocessableEvent:
        return None
    return value


def message_key(chat_id: str, message_id: str, connection: str | None) -> str:
    return f"b:{connection}:{chat_id}:{message_id}" if connection else f"{chat_id}:{message_id}"


def thread_key(chat_id: str, connection: str | None) -> str:
    return f"b:{connection}:{chat_id}" if connection else chat_id


def split_thread(key: str) -> tuple[str | None, str] | None:
    """(business connection or None, chat id) of a thread key, None when it is not one of ours."""
    if key.startswith("b:"):
        connection, _, chat = key[2:].rpartition(":")
        return (connection, chat) if connection and _is_chat(chat) else None
    return (None, key) if _is_chat(key) else None


def split_message(key: str) -> tuple[str | None, str, int] | None:
    """(business connection or None, chat id, message id) of a message's platform id (an edit's too)."""
    base = key.split(":edit:", 1)[0]
    head, _, message = base.rpartition(":")
    found = split_thread(head)
    if found is None or not message.isdigit():
        return None
    return found[0], found[1], int(message)


def _is_chat(value: str) -> bool:
    return value.lstrip("-").isdigit() and len(value) < 25


def parse(body: bytes, *, bot_id: str, bot_username: str | None) -> ParsedDelivery:
    update = load_object(body)
    if opt_int(update, "update_id") is None:
        raise UnprocessableEvent("not a Telegram update: no update_id")
    out = _Out()
    kinds = [k for k in update if k != "update_id"]
    if not kinds:
        raise UnprocessableEvent("a Telegram update without content")
    kind = kinds[0]
    value = update[kind]
    if kind in MESSAGE_UPDATES:
        _message(obj(value, kind), kind, out, bot_id=bot_id, bot_username=bot_username)
    elif kind == "callback_query":
        _callback(obj(value, kind), out)
    elif kind == "deleted_business_messages":
        _deleted(obj(value, kind), out)
    elif kind == "business_connection":
        connection = obj(value, kind)
        user = opt_obj(connection.get("user"), "business_connection.user")
        state = "enabled" if connection.get("is_enabled") is True else "disabled"
        reply = "can reply" if can_reply(connection) else "cannot reply"
        out.skipped.append(f"business connection {opt_str(connection, 'id')} of user {opt_str(user, 'id')}: "
                           f"{state}, {reply} (checked again before each business reply)")
    else:
        out.skipped.append(f"Telegram update {kind!r} is not handled")
    return ParsedDelivery(messages=tuple(out.messages), statuses=tuple(out.statuses), skipped=tuple(out.skipped))


def can_reply(connection: JSON) -> bool:
    """Whether a ``BusinessConnection`` lets the bot answer: ``rights.can_reply`` (Bot API 9.0), else the
    deprecated top-level ``can_reply``."""
    rights = connection.get("rights")
    if isinstance(rights, dict):
        return rights.get("can_reply") is True
    return connection.get("can_reply") is True


def _author(user: JSON) -> Author:
    user_id = opt_str(user, "id")
    if not user_id:
        raise UnprocessableEvent("a user without id")
    name = " ".join(p for p in (opt_str(user, "first_name"), opt_str(user, "last_name")) if p) or None
    username = opt_str(user, "username")
    return Author(platform_user_id=user_id, handle=f"@{username}" if username else None,
                  name=name or opt_str(user, "title"))


def _addressed_to_bot(message: JSON, text: str, *, bot_id: str, bot_username: str | None) -> str | None:
    """How a group message is addressed to the bot (``mention``, ``reply``, ``command``), or None."""
    replied = opt_obj(message.get("reply_to_message"), "reply_to_message")
    if replied and opt_str(opt_obj(replied.get("from"), "reply_to_message.from"), "id") == bot_id:
        return "reply"
    name = (bot_username or "").lstrip("@").lower()
    for key in ("entities", "caption_entities"):
        for item in arr(message.get(key), key):
            entity = obj(item, "entity")
            kind = opt_str(entity, "type")
            if kind == "text_mention" and opt_str(opt_obj(entity.get("user"), "entity.user"), "id") == bot_id:
                return "mention"
            offset, length = opt_int(entity, "offset"), opt_int(entity, "length")
            if not name or offset is None or length is None or kind not in ("mention", "bot_command"):
                continue
            # Telegram counts offsets in UTF-16 code units
            units = text.encode("utf-16-le")
            word = units[offset * 2:(offset + length) * 2].decode("utf-16-le", "replace").lower()
            if kind == "mention" and word == f"@{name}":
                return "mention"
            if kind == "bot_command" and word.endswith(f"@{name}"):
                return "command"
    return None


_MEDIA = (  # (field, Compris kind, default MIME type)
    ("animation", "video", "video/mp4"),
    ("video", "video", None),
    ("video_note", "video", "video/mp4"),
    ("voice", "audio", "audio/ogg"),
    ("audio", "audio", None),
    ("sticker", "sticker", None),
    ("document", "file", None),
)


def _files(message: JSON) -> tuple[list[Attachment], list[dict[str, Any]], str]:
    """Attachments (no URL: see the module's docstring), their ``extra["files"]`` entries and a text for messages
    that have none (a sticker's emoji, a location)."""
    attachments: list[Attachment] = []
    files: list[dict[str, Any]] = []
    fallback = ""

    def add(kind: str, item: JSON, name: str | None, mime: str | None) -> None:
        file_id = opt_str(item, "file_id")
        if not file_id:
            raise UnprocessableEvent(f"a {kind} without file_id")
        size = opt_int(item, "file_size")
        attachments.append(Attachment(kind=kind, name=name, mime_type=mime, size=size))
        files.append({"kind": kind, "file_id": file_id, "file_unique_id": opt_str(item, "file_unique_id"),
                      "name": name, "mime_type": mime, "size": size})

    sizes = [obj(p, "photo size") for p in arr(message.get("photo"), "photo")]
    if sizes:  # the largest of the sizes Telegram made
        best = max(sizes, key=lambda p: ((opt_int(p, "width") or 0) * (opt_int(p, "height") or 0),
                                         opt_int(p, "file_size") or 0))
        add("image", best, None, "image/jpeg")
    for key, kind, mime in _MEDIA:
        if key == "document" and message.get("animation") is not None:
            continue  # an animation comes with the same file as a document too
        item = message.get(key)
        if item is None:
            continue
        item = obj(item, key)
        name = opt_str(item, "file_name")
        if key == "sticker":
            mime = "video/webm" if item.get("is_video") is True else \
                "application/x-tgsticker" if item.get("is_animated") is True else "image/webp"
            fallback = opt_str(item, "emoji") or "(sticker)"
        add(kind, item, name, opt_str(item, "mime_type") or mime)
    location = message.get("location")
    if location is not None:
        place = obj(location, "location")
        lat, lon = place.get("latitude"), place.get("longitude")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            raise UnprocessableEvent("a location without coordinates")
        venue = opt_obj(message.get("venue"), "venue")
        title = ", ".join(p for p in (opt_str(venue, "title"), opt_str(venue, "address")) if p)
        coords = f"{lat}, {lon}"
        attachments.append(Attachment(kind="location", name=title or coords,
                                      url=f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}"))
        fallback = f"{title} ({coords})" if title else coords
    contact = message.get("contact")
    if contact is not None:
        card = obj(contact, "contact")
        names = " ".join(p for p in (opt_str(card, "first_name"), opt_str(card, "last_name")) if p)
        fallback = ", ".join(p for p in (names, opt_str(card, "phone_number")) if p) or "(contact)"
    return attachments, files, fallback


def _message(message: JSON, update: str, out: _Out, *, bot_id: str, bot_username: str | None) -> None:
    business = update.startswith(("business_", "edited_business_"))
    edited = update.startswith("edited_")
    chat = obj(message.get("chat"), "message.chat")
    chat_id = opt_str(chat, "id")
    message_id = opt_str(message, "message_id")
    if not chat_id or not message_id:
        raise UnprocessableEvent(f"{update} without chat.id or message_id")
    if not _is_chat(chat_id) or not message_id.isdigit():
        raise UnprocessableEvent(f"{update}: chat.id and message_id must be numbers")
    connection = opt_str(message, "business_connection_id") if business else None
    if business and not connection:
        raise UnprocessableEvent(f"{update} without business_connection_id")
    if connection and ":" in connection:
        raise UnprocessableEvent("a business_connection_id with ':'")
    chat_type = opt_str(chat, "type") or "private"
    if chat_type == "channel":
        out.skipped.append("a channel post is not handled")
        return
    date = opt_int(message, "date")
    if date is None:
        raise UnprocessableEvent(f"{update} without date")
    text = opt_str(message, "text") or opt_str(message, "caption") or ""
    sender = opt_obj(message.get("from"), "message.from")
    if not sender:
        sender = opt_obj(message.get("sender_chat"), "message.sender_chat")
    if not sender:
        raise UnprocessableEvent(f"{update} without from")
    author = _author(sender)
    group = chat_type in GROUP_TYPES
    addressed = None
    if group:
        addressed = _addressed_to_bot(message, text, bot_id=bot_id, bot_username=bot_username)
        if addressed is None:
            out.skipped.append("a group message that neither mentions the bot nor replies to it")
            return
    if author.platform_user_id == bot_id:
        out.skipped.append("the bot's own message")
        return
    # in a business chat (always private) chat.id is the customer; anything else was written by the business
    is_own = business and author.platform_user_id != chat_id
    attachments, files, fallback = _files(message)
    key = message_key(chat_id, message_id, connection)
    platform_id = key
    reply_to = None
    replied = opt_obj(message.get("reply_to_message"), "reply_to_message")
    if replied and opt_str(replied, "message_id"):
        reply_to = message_key(chat_id, str(opt_str(replied, "message_id")), connection)
    extra: dict[str, Any] = {"channel": "telegram", "update": update, "chat_id": chat_id,
                             "chat_type": chat_type, "message_id": int(message_id)}
    created = from_unix(date, "date")
    if edited:
        edit_date = opt_int(message, "edit_date") or date
        platform_id = f"{key}:edit:{edit_date}"
        extra.update(edited=True, edit_of=key)
        reply_to = key
        created = from_unix(edit_date, "edit_date")
    if connection:
        extra["business_connection_id"] = connection
        if message.get("sender_business_bot") is not None:
            extra["sent_by_business_bot"] = True
    if addressed:
        extra["addressed"] = addressed
    topic = opt_int(message, "message_thread_id")
    if group and message.get("is_topic_message") is True and topic is not None:
        extra["topic_id"] = topic  # a forum topic: the reply goes to the same topic
    if files:
        extra["files"] = files
    if message.get("forward_origin") is not None:
        extra["forwarded"] = True
    username = opt_str(chat, "username")
    title = opt_str(chat, "title")
    customer_id = chat_id if business else author.platform_user_id
    out.messages.append(InboundMessage(
        platform_message_id=platform_id,
        thread_key=thread_key(chat_id, connection),
        visibility=Visibility.PUBLIC if group else Visibility.PRIVATE,
        author=author,
        text=text or fallback,
        created_at=created,
        reply_to_platform_id=reply_to,
        thread_title=title if group else None,
        attachments=tuple(attachments),
        is_own=is_own,
        permalink=f"https://t.me/{username}/{message_id}" if group and username else None,
        extra={**extra, "customer_id": customer_id},
    ))


def _callback(query: JSON, out: _Out) -> None:
    """A tapped inline-keyboard button: the customer's answer (``extra["choice"]`` = the button's callback data),
    its label as the text."""
    query_id = opt_str(query, "id")
    if not query_id:
        raise UnprocessableEvent("callback_query without id")
    author = _author(obj(query.get("from"), "callback_query.from"))
    data = opt_str(query, "data")
    if data is None:
        out.skipped.append("a callback query without data (a game button) is not handled")
        return
    message = opt_obj(query.get("message"), "callback_query.message")
    chat = opt_obj(message.get("chat"), "callback_query.message.chat")
    chat_id = opt_str(chat, "id") or author.platform_user_id
    if not _is_chat(chat_id):
        raise UnprocessableEvent("callback_query: chat.id must be a number")
    connection = opt_str(message, "business_connection_id")
    if connection and ":" in connection:
        raise UnprocessableEvent("a business_connection_id with ':'")
    message_id = opt_str(message, "message_id")
    label = None
    markup = opt_obj(message.get("reply_markup"), "reply_markup")
    for row in arr(markup.get("inline_keyboard"), "inline_keyboard"):
        for item in arr(row, "inline_keyboard row"):
            button = obj(item, "button")
            if opt_str(button, "callback_data") == data:
                label = opt_str(button, "text")
    chat_type = opt_str(chat, "type") or "private"
    group = chat_type in GROUP_TYPES
    extra: dict[str, Any] = {"channel": "telegram", "update": "callback_query", "chat_id": chat_id,
                             "chat_type": chat_type, "callback_query_id": query_id, "choice": data,
                             "customer_id": author.platform_user_id}
    if connection:
        extra["business_connection_id"] = connection
    out.messages.append(InboundMessage(
        platform_message_id=f"{thread_key(chat_id, connection)}:cb:{query_id}",
        thread_key=thread_key(chat_id, connection),
        visibility=Visibility.PUBLIC if group else Visibility.PRIVATE,
        author=author,
        text=label or data,
        created_at=datetime.now(UTC),  # a callback query has no date of its own: it is delivered at once
        reply_to_platform_id=message_key(chat_id, message_id, connection) if message_id else None,
        extra=extra,
    ))


def _deleted(value: JSON, out: _Out) -> None:
    connection = opt_str(value, "business_connection_id")
    chat_id = opt_str(obj(value.get("chat"), "deleted_business_messages.chat"), "id")
    if not connection or not chat_id or not _is_chat(chat_id) or ":" in connection:
        raise UnprocessableEvent("deleted_business_messages without business_connection_id or chat.id")
    at = datetime.now(UTC)
    for item in arr(value.get("message_ids"), "message_ids"):
        if isinstance(item, bool) or not isinstance(item, int):
            raise UnprocessableEvent("message_ids: expected numbers")
        out.statuses.append(DeliveryStatus(platform_message_id=message_key(chat_id, str(item), connection),
                                           status="deleted", at=at))
