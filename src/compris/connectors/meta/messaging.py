"""The Messenger-platform ``messaging[]`` events shared by Facebook Messenger and Instagram DMs,
and the Send API (``messaging_type``, the HUMAN_AGENT tag, private replies to comments)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from compris.connectors.base import (
    Attachment,
    Author,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
    Visibility,
    WindowStatus,
)
from compris.connectors.wire import JSON, arr, from_iso, from_unix, obj, opt_int, opt_obj, opt_str, req_str

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
ATTACHMENT_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file",
                    "location": "location", "fallback": "link", "template": "template",
                    "share": "share", "story_mention": "story", "ig_reel": "video", "reel": "video",
                    "animated_image": "image", "sticker": "sticker"}


@dataclass
class Collected:
    """What a batched delivery yields, filled entry by entry."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # malformed parts, kept apart from the good ones


def _attachments(message: JSON) -> tuple[Attachment, ...]:
    found = []
    for item in arr(message.get("attachments"), "attachments"):
        attachment = obj(item, "attachment")
        kind = opt_str(attachment, "type") or "file"
        payload = opt_obj(attachment.get("payload"), "attachment.payload")
        if payload.get("sticker_id") is not None:
            kind = "sticker"
        found.append(Attachment(kind=ATTACHMENT_KINDS.get(kind, kind), url=opt_str(payload, "url"),
                                name=opt_str(payload, "title") or opt_str(attachment, "title")))
    return tuple(found)


def parse_messaging(event: JSON, *, own_id: str, channel: str, out: Collected) -> None:
    """One ``entry[].messaging[]`` item (message, echo, postback, delivery, read, reaction...)."""
    sender = req_str(opt_obj(event.get("sender"), "sender"), "id", "messaging.sender")
    recipient = req_str(opt_obj(event.get("recipient"), "recipient"), "id", "messaging.recipient")
    millis = opt_int(event, "timestamp")
    if millis is None:
        raise UnprocessableEvent("messaging event without timestamp")
    at = from_unix(millis / 1000, "timestamp")
    if "message" in event:
        message = obj(event["message"], "message")
        mid = req_str(message, "mid", "message")
        if message.get("is_deleted") is True:
            out.statuses.append(DeliveryStatus(platform_message_id=mid, status="deleted", at=at))
            return
        is_own = message.get("is_echo") is True or sender == own_id
        customer = recipient if is_own else sender
        reply_to = opt_obj(message.get("reply_to"), "reply_to")
        story = opt_obj(reply_to.get("story"), "reply_to.story")
        quick = opt_obj(message.get("quick_reply"), "quick_reply")
        extra: dict[str, Any] = {"channel": channel, "customer_id": customer}
        if quick:
            extra["quick_reply_payload"] = opt_str(quick, "payload")
        if story:
            extra["reply_to_story"] = {"id": opt_str(story, "id"), "url": opt_str(story, "url")}
        if message.get("is_unsupported") is True:
            extra["unsupported"] = True
        if is_own and message.get("app_id") is not None:
            extra["app_id"] = opt_str(message, "app_id")
        out.messages.append(InboundMessage(
            platform_message_id=mid,
            thread_key=customer,
            visibility=Visibility.PRIVATE,
            author=Author(platform_user_id=sender),
            text=opt_str(message, "text") or "",
            created_at=at,
            reply_to_platform_id=opt_str(reply_to, "mid"),
            attachments=_attachments(message),
            is_own=is_own,
            extra=extra,
        ))
    elif "postback" in event:
        postback = obj(event["postback"], "postback")
        mid = opt_str(postback, "mid") or f"postback:{sender}:{millis}"
        out.messages.append(InboundMessage(
            platform_message_id=mid, thread_key=sender, visibility=Visibility.PRIVATE,
            author=Author(platform_user_id=sender), text=opt_str(postback, "title") or "", created_at=at,
            extra={"channel": channel, "customer_id": sender, "postback_payload": opt_str(postback, "payload")},
        ))
    elif "delivery" in event:
        delivery = obj(event["delivery"], "delivery")
        for mid in arr(delivery.get("mids"), "delivery.mids"):
            out.statuses.append(DeliveryStatus(platform_message_id=str(mid), status="delivered", at=at))
    else:
        kinds = sorted(k for k in event if k not in ("sender", "recipient", "timestamp"))
        out.skipped.append(f"{channel} event {', '.join(kinds) or 'empty'} is not handled")


def when(value: object, what: str) -> datetime:
    """A Graph time: unix seconds (int) or ISO-8601 with an offset."""
    if isinstance(value, bool):
        raise UnprocessableEvent(f"{what}: not a time")
    if isinstance(value, int | float):
        return from_unix(value, what)
    if isinstance(value, str):
        if value.isdigit() and len(value) < 15:
            return from_unix(int(value), what)
        return from_iso(value.replace("+0000", "+00:00"), what)
    raise UnprocessableEvent(f"{what}: not a time")


# --- outbound ---------------------------------------------------------------------------------

def _aware(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    return None


def messaging_type(extra: Mapping[str, Any], now: datetime, product: str) -> dict[str, str]:
    """``RESPONSE`` inside 24 h of the customer's last message, ``MESSAGE_TAG`` + ``HUMAN_AGENT`` up to
    7 days; refuses beyond. Without ``extra["last_customer_message_at"]`` it answers ``RESPONSE``."""
    last = _aware(extra.get("last_customer_message_at"))
    if last is None or now - last <= STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if now - last <= HUMAN_AGENT_WINDOW:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    raise SendError(f"{product} allows replies only within 7 days of the customer's last message "
                    "(24 hours, extended to 7 days for replies written by a person)", retryable=False)


def send_body(message: OutboundMessage, now: datetime, product: str) -> dict[str, Any]:
    """The Send API body for a DM or, with ``extra["private_reply_to_comment"]``, a private reply."""
    comment_id = message.extra.get("private_reply_to_comment")
    if comment_id:
        created = _aware(message.extra.get("comment_created_at"))
        if created is not None and now - created > PRIVATE_REPLY_WINDOW:
            raise SendError(f"{product} allows a private reply to a comment only within 7 days",
                            retryable=False)
        return {"recipient": {"comment_id": str(comment_id)}, "message": {"text": message.text}}
    recipient = message.recipient.platform_user_id if message.recipient else message.thread_key
    if not recipient:
        raise SendError(f"a {product} message needs the recipient's id", retryable=False)
    return {"recipient": {"id": recipient}, **messaging_type(message.extra, now, product),
            "message": {"text": message.text}}


def window(product: str, visibility: Visibility, last: datetime | None, now: datetime) -> WindowStatus:
    if visibility is not Visibility.PRIVATE:
        return WindowStatus(open=True, closes_at=None)
    if last is None:
        return WindowStatus(open=False, closes_at=None, reason="the customer has not written to us")
    if now < last + STANDARD_WINDOW:
        return WindowStatus(open=True, closes_at=last + STANDARD_WINDOW)
    if now < last + HUMAN_AGENT_WINDOW:
        return WindowStatus(
            open=True, closes_at=last + HUMAN_AGENT_WINDOW,
            reason=f"more than 24 hours since the customer's last message: {product} accepts only a reply "
            "written by a person (sent with the HUMAN_AGENT tag) until 7 days have passed")
    return WindowStatus(
        open=False, closes_at=last + HUMAN_AGENT_WINDOW,
        reason=f"{product} allows replies only within 7 days of the customer's last message "
        "(24 hours, extended to 7 days for replies written by a person)")
