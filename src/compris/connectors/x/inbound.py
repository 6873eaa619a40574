"""X Activity API deliveries (``post.mention.create``, ``post.reply.create``, ``dm.received``) → messages."""

from __future__ import annotations

from collections.abc import Mapping
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
from compris.connectors.wire import (
    JSON,
    arr,
    from_iso,
    from_unix,
    load_object,
    obj,
    opt_int,
    opt_obj,
    opt_str,
    req_str,
)

POST_EVENTS = ("post.mention.create", "post.reply.create")
DM_EVENTS = ("dm.received",)
MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "video"}


def envelopes(body: bytes) -> list[JSON]:
    data = load_object(body).get("data")
    if isinstance(data, list):
        return [obj(item, "data[]") for item in data]
    return [obj(data, "data")]


def parse(body: bytes, *, brand_id: str, handle: str | None) -> ParsedDelivery:
    messages: list[InboundMessage] = []
    skipped: list[str] = []
    for envelope in envelopes(body):
        event_type = req_str(envelope, "event_type", "event")
        own_id = opt_str(opt_obj(envelope.get("filter"), "filter"), "user_id") or brand_id
        common = {"event_type": event_type, "event_uuid": opt_str(envelope, "event_uuid"),
                  "tag": opt_str(envelope, "tag")}
        includes = opt_obj(envelope.get("includes"), "includes")
        payload = obj(envelope.get("payload"), "payload")
        if event_type in POST_EVENTS:
            messages.append(_post(payload, includes, event_type, own_id, handle, common))
        elif event_type in DM_EVENTS:
            messages.extend(_direct_messages(payload, includes, own_id, common))
        else:
            skipped.append(f"event type {event_type} is not handled")
    if not messages and skipped:
        raise UnprocessableEvent("; ".join(skipped))
    return ParsedDelivery(messages=tuple(messages), skipped=tuple(skipped))


def _users(includes: JSON, payload: JSON) -> dict[str, JSON]:
    users: dict[str, JSON] = {}
    for item in arr(includes.get("users"), "includes.users"):
        user = obj(item, "includes.users[]")
        users[req_str(user, "id", "user")] = user
    legacy = payload.get("users")  # Account Activity style: {id: {screen_name, followers_count...}}
    if isinstance(legacy, dict):
        for key, item in legacy.items():
            users.setdefault(str(key), obj(item, "users{}"))
    return users


def _author(user_id: str, users: Mapping[str, JSON]) -> Author:
    user = users.get(user_id, {})
    metrics = opt_obj(user.get("public_metrics"), "public_metrics")
    followers = opt_int(metrics, "followers_count")
    if followers is None:
        followers = opt_int(user, "followers_count")
    verified_type = opt_str(user, "verified_type")
    return Author(
        platform_user_id=user_id,
        handle=opt_str(user, "username") or opt_str(user, "screen_name"),
        name=opt_str(user, "name"),
        followers=followers,
        verified=user.get("verified") is True or verified_type in ("blue", "business", "government"),
        avatar_url=opt_str(user, "profile_image_url") or opt_str(user, "profile_image_url_https"),
    )


def summoned_by(post: JSON, event_type: str, brand_id: str, handle: str | None, includes: JSON) -> str | None:
    """``"mention"`` or ``"quote"`` when the author summoned the brand, else ``None``."""
    if event_type == "post.mention.create":
        return "mention"
    entities = opt_obj(post.get("entities"), "entities")
    for item in arr(entities.get("mentions"), "entities.mentions"):
        mention = obj(item, "mention")
        if opt_str(mention, "id") == brand_id:
            return "mention"
        username = opt_str(mention, "username")
        if handle and username and username.lower() == handle.lstrip("@").lower():
            return "mention"
    quoted = [opt_str(obj(ref, "referenced_tweets[]"), "id")
              for ref in arr(post.get("referenced_tweets"), "referenced_tweets")
              if isinstance(ref, dict) and ref.get("type") == "quoted"]
    for item in arr(includes.get("tweets"), "includes.tweets"):
        tweet = obj(item, "includes.tweets[]")
        if opt_str(tweet, "id") in quoted and opt_str(tweet, "author_id") == brand_id:
            return "quote"
    return None


def _post(post: JSON, includes: JSON, event_type: str, brand_id: str, handle: str | None,
          common: Mapping[str, Any]) -> InboundMessage:
    post_id = req_str(post, "id", "post")
    author_id = req_str(post, "author_id", "post")
    users = _users(includes, {})
    author = _author(author_id, users)
    created = opt_str(post, "created_at")
    if not created:
        raise UnprocessableEvent("post: missing created_at")
    reply_to = opt_str(post, "in_reply_to_tweet_id")
    if reply_to is None:
        for item in arr(post.get("referenced_tweets"), "referenced_tweets"):
            ref = obj(item, "referenced_tweets[]")
            if ref.get("type") == "replied_to":
                reply_to = opt_str(ref, "id")
    media = {opt_str(obj(m, "includes.media[]"), "media_key"): m for m in arr(includes.get("media"), "media")}
    attachments = []
    for key in arr(opt_obj(post.get("attachments"), "attachments").get("media_keys"), "media_keys"):
        item = media.get(str(key))
        if item is not None:
            kind = opt_str(item, "type") or "file"
            attachments.append(Attachment(kind=MEDIA_KINDS.get(kind, kind),
                                          url=opt_str(item, "url") or opt_str(item, "preview_image_url")))
    how = summoned_by(post, event_type, brand_id, handle, includes)
    metrics = opt_obj(post.get("public_metrics"), "public_metrics")
    conversation_id = opt_str(post, "conversation_id") or post_id
    return InboundMessage(
        platform_message_id=post_id,
        thread_key=conversation_id,
        visibility=Visibility.PUBLIC,
        author=author,
        text=opt_str(post, "text") or "",
        created_at=from_iso(created, "created_at"),
        reply_to_platform_id=reply_to,
        attachments=tuple(attachments),
        reshares=(opt_int(metrics, "retweet_count") or 0) + (opt_int(metrics, "quote_count") or 0),
        is_own=author_id == brand_id,
        permalink=f"https://x.com/{author.handle or 'i/web'}/status/{post_id}",
        extra={
            **common,
            "conversation_id": conversation_id,
            "author_id": author_id,
            "in_reply_to_user_id": opt_str(post, "in_reply_to_user_id"),
            "lang": opt_str(post, "lang"),
            "summoned": how is not None,
            "summoned_by": how,
        },
        parent_post=_conversation_root(conversation_id, post_id, reply_to, post, includes, users, brand_id),
    )


def _conversation_root(conversation_id: str, post_id: str, reply_to: str | None, post: JSON, includes: JSON,
                       users: Mapping[str, JSON], brand_id: str) -> ParentPost | None:
    """The post that started the conversation a reply is in (the post its comments are under), with what the
    delivery's ``includes.tweets`` say of it; None for a post that starts its own conversation."""
    if conversation_id == post_id:
        return None
    root: JSON = {}
    for item in arr(includes.get("tweets"), "includes.tweets"):
        tweet = obj(item, "includes.tweets[]")
        if opt_str(tweet, "id") == conversation_id:
            root = tweet
    author_id = opt_str(root, "author_id")
    if author_id is None and reply_to == conversation_id:
        author_id = opt_str(post, "in_reply_to_user_id")  # answering the root itself: its author is the one answered
    author = users.get(author_id or "", {})
    handle = opt_str(author, "username")
    created = opt_str(root, "created_at")
    return ParentPost(
        platform_post_id=conversation_id,
        text=opt_str(root, "text"),
        permalink=f"https://x.com/{handle or 'i/web'}/status/{conversation_id}",
        created_at=from_iso(created, "includes.tweets[].created_at") if created else None,
        author_id=author_id,
        author_name=opt_str(author, "name") or handle,
        by_account=author_id == brand_id if author_id else None,
    )


def dm_conversation_id(a: str, b: str) -> str:
    """X's id for a one-to-one DM conversation: both user ids, smaller first, joined by a dash."""
    low, high = sorted((a, b), key=lambda v: (len(v), v))
    return f"{low}-{high}"


def _direct_messages(payload: JSON, includes: JSON, brand_id: str,
                     common: Mapping[str, Any]) -> list[InboundMessage]:
    users = _users(includes, payload)
    found = []
    events = arr(payload.get("direct_message_events"), "direct_message_events")
    if not events:
        raise UnprocessableEvent("dm.received without direct_message_events")
    for item in events:
        event = obj(item, "direct_message_event")
        event_id = req_str(event, "id", "direct message")
        create = obj(event.get("message_create"), "message_create")
        sender = req_str(create, "sender_id", "message_create")
        recipient = req_str(opt_obj(create.get("target"), "target"), "recipient_id", "message_create.target")
        data = opt_obj(create.get("message_data"), "message_data")
        millis = opt_int(event, "created_timestamp")
        if millis is None:
            raise UnprocessableEvent("direct message: missing created_timestamp")
        attachments = []
        attachment = opt_obj(data.get("attachment"), "attachment")
        if attachment:
            media = opt_obj(attachment.get("media"), "attachment.media")
            kind = opt_str(media, "type") or "file"
            attachments.append(Attachment(kind=MEDIA_KINDS.get(kind, kind),
                                          url=opt_str(media, "media_url_https") or opt_str(media, "url")))
        is_own = sender == brand_id
        customer = recipient if is_own else sender
        conversation = dm_conversation_id(sender, recipient)
        quick = opt_obj(data.get("quick_reply_response"), "quick_reply_response")
        choice = opt_str(quick, "metadata") if not is_own else None
        found.append(InboundMessage(
            platform_message_id=event_id,
            thread_key=conversation,
            visibility=Visibility.PRIVATE,
            author=_author(sender, users),
            text=opt_str(data, "text") or "",
            created_at=from_unix(millis / 1000, "created_timestamp"),
            attachments=tuple(attachments),
            is_own=is_own,
            extra={**common, "dm_conversation_id": conversation, "participant_id": customer,
                   **({"choice": choice} if choice else {})},
        ))
    return found
