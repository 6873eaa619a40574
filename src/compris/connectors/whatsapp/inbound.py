"""WhatsApp Cloud API ``messages`` changes: customer messages (keyed by BSUID when present) and statuses."""

from __future__ import annotations

from typing import Any

from compris.connectors.base import Attachment, Author, DeliveryStatus, InboundMessage, UnprocessableEvent, Visibility
from compris.connectors.meta.messaging import Collected, when
from compris.connectors.wire import JSON, arr, obj, opt_obj, opt_str, req_str

MEDIA_TYPES = {"image": "image", "video": "video", "audio": "audio", "document": "file", "sticker": "sticker"}


def parse_messages_value(value: JSON, *, phone_number_id: str, out: Collected) -> None:
    metadata = opt_obj(value.get("metadata"), "metadata")
    our_number = opt_str(metadata, "phone_number_id")
    if phone_number_id and our_number and our_number != phone_number_id:
        out.skipped.append(f"messages for phone number {our_number}, not for this account")
        return
    contacts = [obj(item, "contact") for item in arr(value.get("contacts"), "contacts")]
    for item in arr(value.get("messages"), "messages"):
        message = _message(obj(item, "message"), contacts, metadata)
        if message is None:
            out.skipped.append("a system message (number change...) is not handled")
        else:
            out.messages.append(message)
    for item in arr(value.get("statuses"), "statuses"):
        out.statuses.append(_status(obj(item, "status")))
    for item in arr(value.get("errors"), "errors"):
        error = obj(item, "error")
        out.skipped.append(f"WhatsApp reported error {opt_str(error, 'code')}: {opt_str(error, 'title')}")


def _contact(contacts: list[JSON], phone: str | None, bsuid: str | None) -> JSON:
    for contact in contacts:
        if (bsuid and opt_str(contact, "user_id") == bsuid) or (phone and opt_str(contact, "wa_id") == phone):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _text_of(message: JSON, kind: str) -> str:
    body = opt_obj(message.get(kind), kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return opt_str(body, "body") or ""
    if kind in MEDIA_TYPES:
        return opt_str(body, "caption") or ""
    if kind == "interactive":
        for key in ("button_reply", "list_reply", "nfm_reply"):
            reply = opt_obj(body.get(key), key)
            if reply:
                return opt_str(reply, "title") or opt_str(reply, "body") or ""
        return ""
    if kind == "button":
        return opt_str(body, "text") or ""
    if kind == "location":
        parts = [opt_str(body, "name"), opt_str(body, "address")]
        place = ", ".join(p for p in parts if p)
        coords = f"{body.get('latitude')}, {body.get('longitude')}"
        return f"{place} ({coords})" if place else coords
    if kind == "reaction":
        return opt_str(body, "emoji") or ""
    if kind == "contacts":
        names = [opt_str(opt_obj(obj(c, "contact").get("name"), "name"), "formatted_name")
                 for c in arr(message.get("contacts"), "contacts")]
        return ", ".join(n for n in names if n)
    return ""


def _choice(message: JSON, kind: str) -> str | None:
    """The id of the reply button (``interactive.button_reply.id``) or list row (``interactive.list_reply.id``) the
    customer tapped, or a template quick-reply button's payload (``button.payload``)."""
    if kind == "interactive":
        body = opt_obj(message.get("interactive"), "interactive")
        for key in ("button_reply", "list_reply"):
            reply = opt_obj(body.get(key), key)
            if reply and opt_str(reply, "id"):
                return opt_str(reply, "id")
    if kind == "button":
        return opt_str(opt_obj(message.get("button"), "button"), "payload")
    return None


def _message(message: JSON, contacts: list[JSON], metadata: JSON) -> InboundMessage | None:
    kind = opt_str(message, "type") or "unknown"
    if kind == "system":
        return None
    wamid = req_str(message, "id", "message")
    phone = opt_str(message, "from")
    bsuid = opt_str(message, "from_user_id")
    customer = bsuid or phone
    if not customer:
        raise UnprocessableEvent("message without from or from_user_id")
    contact = _contact(contacts, phone, bsuid)
    profile = opt_obj(contact.get("profile"), "profile")
    phone = phone or opt_str(contact, "wa_id")
    username = opt_str(profile, "username") or opt_str(contact, "username")
    timestamp = message.get("timestamp")
    if timestamp is None:
        raise UnprocessableEvent("message without timestamp")
    context = opt_obj(message.get("context"), "context")
    reply_to = opt_str(context, "id")
    attachments: list[Attachment] = []
    media: list[dict[str, Any]] = []
    if kind in MEDIA_TYPES:
        body = opt_obj(message.get(kind), kind)
        attachments.append(Attachment(kind=MEDIA_TYPES[kind], name=opt_str(body, "filename"),
                                      mime_type=opt_str(body, "mime_type")))
        media.append({"id": opt_str(body, "id"), "kind": MEDIA_TYPES[kind], "mime_type": opt_str(body, "mime_type"),
                      "sha256": opt_str(body, "sha256")})
    if kind == "reaction":
        reply_to = opt_str(opt_obj(message.get("reaction"), "reaction"), "message_id")
    choice = _choice(message, kind)
    extra: dict[str, Any] = {
        "channel": "whatsapp", "type": kind, "wa_id": phone, "bsuid": bsuid, "username": username,
        "phone_number_id": opt_str(metadata, "phone_number_id"),
    }
    if media:
        extra["media"] = media
    if choice:
        extra["choice"] = choice  # a tapped reply button or list row (a survey's rating)
    if context.get("forwarded") is True or context.get("frequently_forwarded") is True:
        extra["forwarded"] = True
    referral = opt_obj(message.get("referral"), "referral")
    if referral:
        extra["referral"] = {k: referral.get(k) for k in ("source_url", "source_type", "source_id", "headline")}
    if kind == "unsupported" or message.get("errors"):
        extra["unsupported"] = True
    return InboundMessage(
        platform_message_id=wamid,
        thread_key=customer,
        visibility=Visibility.PRIVATE,
        author=Author(platform_user_id=customer, handle=username or (f"+{phone}" if phone else None),
                      name=opt_str(profile, "name")),
        text=_text_of(message, kind),
        created_at=when(timestamp, "timestamp"),
        reply_to_platform_id=reply_to,
        attachments=tuple(attachments),
        promoted=bool(referral) and opt_str(referral, "source_type") == "ad",
        extra=extra,
    )


def _status(status: JSON) -> DeliveryStatus:
    errors = [obj(e, "status error") for e in arr(status.get("errors"), "status.errors")]
    reason = None
    if errors:
        error = errors[0]
        details = opt_str(opt_obj(error.get("error_data"), "error_data"), "details")
        reason = " — ".join(p for p in (opt_str(error, "title"), opt_str(error, "message"), details) if p)
        reason = f"{reason} [code {opt_str(error, 'code')}]"
    timestamp = status.get("timestamp")
    if timestamp is None:
        raise UnprocessableEvent("status without timestamp")
    return DeliveryStatus(platform_message_id=req_str(status, "id", "status"),
                          status=req_str(status, "status", "status"), at=when(timestamp, "timestamp"),
                          reason=reason)
