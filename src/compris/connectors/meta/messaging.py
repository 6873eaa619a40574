"""The Messenger-platform ``messaging[]`` events shared by Facebook Messenger and Instagram DMs,
and the Send API (``messaging_type``, the HUMAN_AGENT tag, private replies to comments)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from compris.connectors.base import (
    PRIVATE_REPLY_TO_COMMENT,
    Attachment,
    AttachmentRules,
    Author,
    ChoiceRules,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    SendError,
    SendResult,
    UnprocessableEvent,
    Visibility,
    WindowStatus,
    send_parts,
)
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public
from compris.connectors.wire import JSON, arr, from_iso, from_unix, obj, opt_int, opt_obj, opt_str, req_str
from compris.kit import media

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
            if not is_own and opt_str(quick, "payload"):
                extra["choice"] = opt_str(quick, "payload")  # a tapped quick reply (a survey's rating)
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
            extra={"channel": channel, "customer_id": sender, "postback_payload": opt_str(postback, "payload"),
                   **({"choice": opt_str(postback, "payload")} if opt_str(postback, "payload") else {})},
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


def private_reply_target(comment_extra: Mapping[str, Any]) -> str | None:
    """The comment id a private reply answers (Facebook and Instagram comments carry ``comment_id``)."""
    comment_id = comment_extra.get("comment_id")
    return str(comment_id) if comment_id else None


#: Messenger and Instagram quick replies: at most 13 on a message, titles of 20 characters, payloads of 1,000;
#: sent only inside the 24-hour standard window (an automated survey may not use the HUMAN_AGENT tag)
QUICK_REPLIES = ChoiceRules(buttons=True, max_choices=13, label_length=20, payload_length=1000,
                            window=STANDARD_WINDOW)


def _choices_message(message: OutboundMessage, now: datetime, product: str, rules: ChoiceRules,
                     *, buttons: bool) -> dict[str, Any]:
    """The ``message`` object of a DM offering ``message.choices``: quick replies (``content_type`` text, title,
    payload) when they fit the network's rules, else the choices written in the text."""
    last = _aware(message.extra.get("last_customer_message_at"))
    if rules.window is not None and last is not None and now - last > rules.window:
        raise SendError(f"{product} allows automated messages (a survey) only within 24 hours of the customer's "
                        "last message", retryable=False)
    if buttons and as_buttons(rules, message.choices):
        return {"text": message.text, "quick_replies": [
            {"content_type": "text", "title": fit(c.label, rules.label_length), "payload": c.payload}
            for c in message.choices]}
    return {"text": as_text(message.text, message.choices)}


def send_body(message: OutboundMessage, now: datetime, product: str,
              rules: ChoiceRules = QUICK_REPLIES) -> dict[str, Any]:
    """The Send API body for a DM or, with ``extra[PRIVATE_REPLY_TO_COMMENT]``, a private reply. Choices (a survey)
    become quick replies on a DM; a private reply to a comment writes them in its text."""
    refuse_public(message, product)
    comment_id = message.extra.get(PRIVATE_REPLY_TO_COMMENT)
    if comment_id:
        created = _aware(message.extra.get("comment_created_at"))
        if created is not None and now - created > PRIVATE_REPLY_WINDOW:
            raise SendError(f"{product} allows a private reply to a comment only within 7 days",
                            retryable=False)
        content = _choices_message(message, now, product, rules, buttons=False) if message.choices else \
            {"text": message.text}
        return {"recipient": {"comment_id": str(comment_id)}, "message": content}
    recipient = message.recipient.platform_user_id if message.recipient else message.thread_key
    if not recipient:
        raise SendError(f"a {product} message needs the recipient's id", retryable=False)
    content = _choices_message(message, now, product, rules, buttons=True) if message.choices else \
        {"text": message.text}
    return {"recipient": {"id": recipient}, **messaging_type(message.extra, now, product), "message": content}


#: Send API attachment types: what Compris's kinds become (``file`` for documents)
SEND_TYPES = {"image": "image", "video": "video", "audio": "audio", "file": "file"}
MB = 1024 * 1024
#: Messenger: one attachment per message, fetched by Meta from its URL; 25 MB
MESSENGER_ATTACHMENTS = AttachmentRules(
    mime_types=frozenset({media.JPEG, media.PNG, media.GIF, media.MP4, media.QUICKTIME, media.M4A, media.MP3,
                          media.AAC, media.WAV, media.OGG, media.PDF}),
    max_count=4, max_bytes=25 * MB, public_url=True)
#: Instagram DMs: images png/jpeg/gif ≤ 8 MB; video mp4/ogg/avi/mov/webm, audio aac/m4a/wav/mp4, PDF ≤ 25 MB
INSTAGRAM_ATTACHMENTS = AttachmentRules(
    mime_types=frozenset({media.JPEG, media.PNG, media.GIF, media.MP4, media.QUICKTIME, media.WEBM, media.M4A,
                          media.AAC, media.WAV, media.PDF}),
    max_count=4, max_bytes=25 * MB, max_bytes_by_kind={"image": 8 * MB}, public_url=True)


def attachment_body(base: Mapping[str, Any], attachment: Attachment, product: str) -> dict[str, Any]:
    """One Send API message carrying one attachment that Meta fetches from ``attachment.url``."""
    if not attachment.url:
        raise SendError(f"{product} fetches attachments by URL and this one has none", retryable=False)
    kind = SEND_TYPES.get(attachment.kind, "file")
    return {**base, "message": {"attachment": {"type": kind, "payload": {"url": attachment.url,
                                                                          "is_reusable": False}}}}


def send_dm(message: OutboundMessage, now: datetime, product: str,
            post: Callable[[dict[str, Any]], dict[str, Any]], rules: ChoiceRules = QUICK_REPLIES) -> SendResult:
    """A DM (or a private reply to a comment) through the Send API. A message carries text *or* one attachment:
    a reply with files becomes the text, then one message per file, each sent once (:func:`send_parts`).
    ``post`` sends one body to ``/{id}/messages`` and returns the Graph answer."""
    body = send_body(message, now, product, rules)
    if message.attachments and "comment_id" in body["recipient"]:
        raise SendError(f"{product} allows one text message as the private reply to a comment: send the files "
                        "in the conversation once the customer answers", retryable=False)
    base = {k: v for k, v in body.items() if k != "message"}
    recipient_id: list[str] = []

    def one(payload: dict[str, Any]) -> Callable[[], str]:
        def go() -> str:
            data = post(payload)
            if not data.get("message_id"):
                raise SendError(f"{product} did not return the message id", retryable=False)
            if data.get("recipient_id"):
                recipient_id.append(str(data["recipient_id"]))
            return str(data["message_id"])
        return go

    parts: list[tuple[str, Callable[[], str]]] = []
    if message.text or not message.attachments:
        parts.append(("text", one(body)))
    for index, attachment in enumerate(message.attachments):
        parts.append((f"attachment:{index}", one(attachment_body(base, attachment, product))))
    done = send_parts(message, parts)
    ids = [done[key] for key, _ in parts]
    return SendResult(platform_message_id=ids[0], thread_key=recipient_id[0] if recipient_id else message.thread_key,
                      parts=done if len(ids) > 1 else {})


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
