"""The WhatsApp Business Cloud API connector."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    Attachment,
    AttachmentRules,
    ChoiceRules,
    Connector,
    FetchedFile,
    FetchError,
    InboundFile,
    Limits,
    OutboundMessage,
    SendError,
    SendResult,
    Visibility,
    WindowStatus,
    download,
    send_parts,
)
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public
from compris.connectors.meta import MetaConnector
from compris.connectors.meta.messaging import Collected
from compris.connectors.whatsapp.inbound import parse_messages_value
from compris.connectors.wire import JSON, obj
from compris.kit import media

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
MB = 1024 * 1024
#: Cloud API media messages (fetched by WhatsApp from ``link``): images JPEG/PNG ≤ 5 MB, video MP4/3GPP ≤ 16 MB,
#: audio AAC/M4A/MP3/OGG ≤ 16 MB, documents (PDF) ≤ 100 MB; one file per message
ATTACHMENTS = AttachmentRules(
    mime_types=frozenset({media.JPEG, media.PNG, media.MP4, media.THREE_GP, media.AAC, media.M4A, media.MP3,
                          media.OGG, media.PDF}),
    max_count=4, max_bytes_by_kind={"image": 5 * MB, "video": 16 * MB, "audio": 16 * MB, "file": 100 * MB},
    public_url=True)
#: Compris's kinds as WhatsApp message types; images, videos and documents take a caption (≤ 1,024 characters)
MESSAGE_TYPES = {"image": "image", "video": "video", "audio": "audio", "file": "document"}
CAPTIONED = frozenset({"image", "video", "document"})
MAX_CAPTION = 1024
#: interactive messages: up to 3 reply buttons (titles ≤ 20 characters, ids ≤ 256) on a body of ≤ 1,024 characters;
#: beyond 3, a list message (≤ 10 rows, row titles ≤ 24 characters, ids ≤ 200, a button label ≤ 20, body ≤ 4,096);
#: beyond 10, the choices are written in the text. Free-form, so inside the 24-hour customer-service window only.
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LENGTH = 20
BUTTON_BODY_LENGTH = 1024
LIST_BODY_LENGTH = 4096
CHOICES = ChoiceRules(buttons=True, max_choices=10, label_length=24, payload_length=200)
#: the label of the button that opens a list message (WhatsApp has no language of the customer to pick one in;
#: ``OutboundMessage.extra["choices_button"]`` overrides it)
LIST_BUTTON = "Répondre · Reply"


class WhatsAppConnector(MetaConnector):
    network: ClassVar[str] = "whatsapp"
    #: the Cloud API takes no idempotency key and lists no sent messages: after a send interrupted without a clear
    #: answer (a timeout, a 5xx) Compris cannot tell whether the customer got it, and marks the reply uncertain
    can_find_sent: ClassVar[bool] = False
    display_name: ClassVar[str] = "WhatsApp"
    webhook_object: ClassVar[str] = "whatsapp_business_account"
    entry_is_account: ClassVar[bool] = False  # entry.id is the WABA; the number is in metadata
    limits: ClassVar[Limits] = Limits(private_max_length=4096, private_reply_window=CUSTOMER_SERVICE_WINDOW,
                                      private_attachments=ATTACHMENTS, choices=CHOICES,
                                      public_attachments_reason="WhatsApp conversations are private")
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "access_token")
    setting_fields: ClassVar[tuple[str, ...]] = ("waba_id", "api_base")
    generated_fields: ClassVar[tuple[str, ...]] = ("verify_token",)
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Phone number id",
        "access_token": "Access token",
        "waba_id": "WhatsApp Business Account id",
        "app_secret": "App secret",
        "verify_token": "Webhook verify token",
        "api_base": "Graph API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "WhatsApp Manager → API setup → Phone number ID (not the phone number itself).",
        "access_token": "A System User token with whatsapp_business_messaging and "
        "whatsapp_business_management.",
        "waba_id": "Shown beside the phone number id; for reference.",
        "app_secret": "Meta for Developers → your app → App settings → Basic → App secret. Checks "
        "X-Hub-Signature-256 on every delivery.",
        "verify_token": "Leave empty: Compris makes one. Paste it with the callback URL in the app's "
        "Webhooks settings.",
        "api_base": "Leave empty for https://graph.facebook.com/v25.0.",
    }

    #: a WhatsApp user's id is their phone number
    identity_reach: ClassVar[str | None] = "phone"

    def parse_change(self, account: AccountContext, entry: JSON, change: JSON, out: Collected) -> None:
        if change.get("field") == "messages":
            parse_messages_value(obj(change.get("value"), "messages value"),
                                 phone_number_id=account.external_id, out=out)
        else:
            super().parse_change(account, entry, change, out)

    def reply_window(self, visibility: Visibility, last_customer_message_at: datetime | None,
                     now: datetime) -> WindowStatus:
        status = Connector.reply_window(self, visibility, last_customer_message_at, now)
        if status.open:
            return status
        return WindowStatus(open=False, closes_at=status.closes_at,
                            reason="WhatsApp allows free-form replies only within 24 hours of the customer's "
                            "last message; after that only an approved message template can be sent")

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.visibility is not Visibility.PRIVATE:
            raise SendError("WhatsApp messages are private; nothing public can be sent", retryable=False)
        to = message.extra.get("wa_id") or (message.recipient.platform_user_id if message.recipient
                                            else message.thread_key)
        if not to:
            raise SendError("a WhatsApp message needs the customer's BSUID or phone number", retryable=False)
        graph = self.graph(account, client)
        if message.choices and not message.attachments:
            body = self._body(message, str(to), "interactive", self._choices_content(message), first=True)
            if body["type"] == "interactive":
                body["biz_opaque_callback_data"] = message.idempotency_key[:512]
                return SendResult(platform_message_id=self._post(graph, account, body),
                                  thread_key=message.thread_key)
        if message.choices:  # files and choices: the choices are written in the text (a caption or a message)
            message = dataclasses.replace(message, text=as_text(message.text, message.choices), choices=())
        if not message.attachments:
            body = self._body(message, str(to), "text", {"text": {"body": message.text}}, first=True)
            body["biz_opaque_callback_data"] = message.idempotency_key[:512]  # echoed in status webhooks
            return SendResult(platform_message_id=self._post(graph, account, body), thread_key=message.thread_key)
        return self._send_media(graph, account, message, str(to))

    def _choices_content(self, message: OutboundMessage) -> dict[str, Any]:
        """Reply buttons for up to 3 choices, a list message for up to 10, else a text with the choices written
        out (``type`` text): see :data:`CHOICES`."""
        choices = message.choices
        if as_buttons(CHOICES, choices):
            if len(choices) <= MAX_REPLY_BUTTONS and len(message.text) <= BUTTON_BODY_LENGTH and \
                    len({fit(c.label, BUTTON_TITLE_LENGTH) for c in choices}) == len(choices):
                return {"interactive": {"type": "button", "body": {"text": message.text}, "action": {"buttons": [
                    {"type": "reply", "reply": {"id": c.payload, "title": fit(c.label, BUTTON_TITLE_LENGTH)}}
                    for c in choices]}}}
            if len(message.text) <= LIST_BODY_LENGTH:
                button = fit(str(message.extra.get("choices_button") or LIST_BUTTON), BUTTON_TITLE_LENGTH)
                return {"interactive": {"type": "list", "body": {"text": message.text}, "action": {
                    "button": button,
                    "sections": [{"rows": [{"id": c.payload, "title": fit(c.label, CHOICES.label_length)}
                                           for c in choices]}]}}}
        return {"type": "text", "text": {"body": as_text(message.text, choices)}}

    def _body(self, message: OutboundMessage, to: str, kind: str, content: Mapping[str, Any], *,
              first: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"messaging_product": "whatsapp", "to": to, "type": kind, **content}
        if first and message.reply_to_platform_id:  # only the first part answers the customer's message
            body["context"] = {"message_id": message.reply_to_platform_id}
        return body

    def _post(self, graph: Any, account: AccountContext, body: dict[str, Any]) -> str:
        data = graph.call("POST", f"{account.external_id}/messages", body=body)
        sent = data.get("messages")
        if not isinstance(sent, list) or not sent or not isinstance(sent[0], dict) or not sent[0].get("id"):
            raise SendError("WhatsApp did not return the message id", retryable=False)
        return str(sent[0]["id"])

    def _send_media(self, graph: Any, account: AccountContext, message: OutboundMessage, to: str) -> SendResult:
        """One message per file (``link`` + caption); the text becomes the first file's caption when that file
        takes one and it fits, else a text message of its own first. Each part is sent once (:func:`send_parts`)."""
        first_type = MESSAGE_TYPES.get(message.attachments[0].kind, "document")
        caption_on_first = bool(message.text) and first_type in CAPTIONED and len(message.text) <= MAX_CAPTION
        parts: list[tuple[str, Callable[[], str]]] = []

        def part(key: str, body: dict[str, Any]) -> None:
            body["biz_opaque_callback_data"] = f"{message.idempotency_key}:{key}"[:512]
            parts.append((key, lambda: self._post(graph, account, body)))

        if message.text and not caption_on_first:
            part("text", self._body(message, to, "text", {"text": {"body": message.text}}, first=True))
        for index, attachment in enumerate(message.attachments):
            caption = message.text if index == 0 and caption_on_first else None
            part(f"attachment:{index}", self._media_body(message, to, attachment, caption, first=not parts))
        done = send_parts(message, parts)
        ids = [done[key] for key, _ in parts]
        return SendResult(platform_message_id=ids[0], thread_key=message.thread_key,
                          parts=done if len(ids) > 1 else {})

    def _media_body(self, message: OutboundMessage, to: str, attachment: Attachment, caption: str | None, *,
                    first: bool) -> dict[str, Any]:
        if not attachment.url:
            raise SendError("WhatsApp fetches media by link and this attachment has none", retryable=False)
        kind = MESSAGE_TYPES.get(attachment.kind, "document")
        media_object: dict[str, str] = {"link": attachment.url}
        if caption:
            media_object["caption"] = caption
        if kind == "document" and attachment.name:
            media_object["filename"] = attachment.name
        return self._body(message, to, kind, {kind: media_object}, first=first)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        data = self.graph(account, client).call(
            "GET", account.external_id, params={"fields": "display_phone_number,verified_name,quality_rating"})
        return (f"connected to {data.get('display_phone_number')} ({data.get('verified_name')}, "
                f"quality {data.get('quality_rating')})")

    # --- inbound attachments: the media id → GET /{media-id} (with the token) → its short-lived url → GET (with it)
    def fetchable(self, file: InboundFile) -> bool:
        return bool(_media_id(file))

    def fetch_attachment(self, account: AccountContext, file: InboundFile, client: httpx.Client, *,
                         max_bytes: int) -> FetchedFile:
        media_id = _media_id(file)
        if not media_id:
            raise FetchError("WhatsApp gave no media id for this file", code="unavailable")
        try:
            graph = self.graph(account, client)
            found = graph.call("GET", media_id)
        except SendError as exc:
            raise _fetch_error(exc) from None
        url, size = found.get("url"), found.get("file_size")
        if isinstance(size, int) and not isinstance(size, bool) and size > max_bytes:
            raise FetchError(f"the file is larger than {max_bytes // MB} MB", code="too_large")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise FetchError("WhatsApp gave no address for this media", code="unavailable")
        mime = found.get("mime_type") if isinstance(found.get("mime_type"), str) else None
        fetched = download(client, url, max_bytes=max_bytes, network=self.display_name,
                           headers={"authorization": f"Bearer {graph.access_token}"},
                           name=file.attachment.name)
        return dataclasses.replace(fetched, mime_type=mime or fetched.mime_type)


def _media_id(file: InboundFile) -> str | None:
    """The WhatsApp media id of the message's file (``extra["media"]``, one per media message)."""
    media_list = file.extra.get("media")
    if not isinstance(media_list, list) or file.index >= len(media_list):
        return None
    item = media_list[file.index]
    found = item.get("id") if isinstance(item, dict) else None
    return found if isinstance(found, str) and found else None


def _fetch_error(exc: SendError) -> FetchError:
    if exc.retryable:
        return FetchError(exc.reason, retryable=True, retry_after=exc.retry_after)
    gone = "(400)" in exc.reason or "(404)" in exc.reason  # an unknown or expired media id (kept 30 days)
    return FetchError(exc.reason, code="not_found" if gone else "refused")
