"""The Telegram connector: Bot API webhooks in (private chats, groups that address the bot, Telegram Business chats,
inline-keyboard answers), ``sendMessage`` / ``sendPhoto`` / ``sendDocument``… out. Plain httpx over the runtime's
shared client (see ``docs/channels/telegram.md`` for why not python-telegram-bot or aiogram)."""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    Attachment,
    AttachmentRules,
    Author,
    ChoiceRules,
    Connector,
    ConnectorError,
    FetchedFile,
    FetchError,
    InboundFile,
    InboundMessage,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    SendError,
    SendResult,
    SignatureError,
    Visibility,
    WebhookRequest,
    WebhookResponse,
    download,
    profile_link,
    send_parts,
)
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public
from compris.connectors.telegram import inbound
from compris.connectors.telegram.api import DEFAULT_API_BASE, BotApi
from compris.connectors.wire import load_object
from compris.kit import media

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)
MB = 1024 * 1024
MAX_TEXT = 4096
MAX_CAPTION = 1024
#: files are uploaded (multipart), so COMPRIS_BASE_URL need not be reachable from Telegram: photos ≤ 10 MB
#: (``sendPhoto``), other files ≤ 50 MB (``sendVideo``, ``sendAudio``, ``sendDocument``); one message per file
ATTACHMENTS = AttachmentRules(
    mime_types=frozenset({media.JPEG, media.PNG, media.WEBP, media.GIF, media.PDF, media.MP4, media.QUICKTIME,
                          media.WEBM, media.MP3, media.M4A, media.OGG, media.WAV, media.AAC}),
    max_count=10, max_bytes=50 * MB, max_bytes_by_kind={"image": 10 * MB}, public_url=False)
#: images sent as photos (``sendPhoto``; Telegram recompresses them); GIFs go as documents to stay animated
_PHOTO_TYPES = frozenset({media.JPEG, media.PNG, media.WEBP})
#: inline keyboards: one button a row; callback_data is 1-64 bytes; Telegram has no documented label limit, but
#: long labels are cut on phones
CHOICES = ChoiceRules(buttons=True, max_choices=10, label_length=40, payload_length=64)
#: Telegram lets a business bot answer only chats active in the last 24 hours
BUSINESS_WINDOW = timedelta(hours=24)


class TelegramConnector(Connector):
    network: ClassVar[str] = "telegram"
    display_name: ClassVar[str] = "Telegram"
    aliases: ClassVar[tuple[str, ...]] = ()
    limits: ClassVar[Limits] = Limits(public_max_length=MAX_TEXT, private_max_length=MAX_TEXT,
                                      public_attachments=ATTACHMENTS, private_attachments=ATTACHMENTS,
                                      choices=CHOICES)
    secret_fields: ClassVar[tuple[str, ...]] = ("bot_token", "webhook_secret")
    setting_fields: ClassVar[tuple[str, ...]] = ("bot_username", "api_base")
    generated_fields: ClassVar[tuple[str, ...]] = ("webhook_secret",)
    #: a bot cannot write to a user who has not started it (``/start``)
    can_start_private: ClassVar[bool] = False
    #: Telegram has no idempotency key: a send interrupted by a crash is held for a person to check
    supports_idempotency: ClassVar[bool] = False
    #: the Bot API cannot list a chat's messages (a bot sees only the updates sent to it, and ours are not among
    #: them): after an ambiguous send Compris cannot look, and the reply is marked uncertain for a person
    can_find_sent: ClassVar[bool] = False
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Bot id",
        "bot_token": "Bot token",
        "webhook_secret": "Webhook secret token",
        "bot_username": "Bot username",
        "api_base": "Bot API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The number before the colon in the bot token (123456789 in 123456789:AA…).",
        "bot_token": "Given by @BotFather when you created the bot (/newbot), or with /token. Keep it secret: "
        "whoever has it controls the bot.",
        "webhook_secret": "Leave empty: Compris makes one. Pass it as secret_token to setWebhook (see the "
        "Telegram channel documentation); Telegram then sends it with every update.",
        "bot_username": "The bot's @username without the @, to recognise the group messages that mention it.",
        "api_base": "Leave empty for https://api.telegram.org (or the address of your own Bot API server).",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        # only a username has a public link; a user without one is reachable through the bot only
        return profile_link("https://t.me/", handle)

    # --- inbound -------------------------------------------------------------------------
    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        if request.method.upper() != "POST":
            raise SignatureError("Telegram deliveries are POST requests", 405)
        secret = account.secrets.get("webhook_secret")
        if not secret:
            raise SignatureError("no Telegram webhook secret token is configured for this account", 403)
        given = {k.lower(): v for k, v in request.headers.items()}.get(SECRET_HEADER)
        if given is None:
            raise SignatureError("missing X-Telegram-Bot-Api-Secret-Token header", 401)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode()):
            raise SignatureError("the X-Telegram-Bot-Api-Secret-Token header does not match", 401)

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        found = inbound.update_id(request.body)
        return f"update:{found}" if found is not None else super().event_id(account, request)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, bot_id=account.external_id,
                             bot_username=str(account.settings.get("bot_username") or "") or None)

    def acknowledge(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse:
        """A tapped button shows a spinner until the bot answers the callback query: Telegram runs a Bot API method
        given in the webhook's response, so ``answerCallbackQuery`` costs no extra call."""
        try:
            query = load_object(request.body).get("callback_query")
        except ConnectorError:
            query = None
        if isinstance(query, dict) and isinstance(query.get("id"), str) and len(query["id"]) < 100:
            body = {"method": "answerCallbackQuery", "callback_query_id": query["id"]}
            return WebhookResponse(200, json.dumps(body).encode())
        return WebhookResponse()

    def private_thread_key(self, account: AccountContext, customer: Author) -> str:
        return customer.platform_user_id  # a private chat's id is the user's id

    def needs_enrichment(self, message: InboundMessage) -> bool:
        files = message.extra.get("files")
        return isinstance(files, list) and any(
            isinstance(f, dict) and "file_path" not in f and "file_path_error" not in f for f in files)

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Resolve each file's ``file_path`` with ``getFile`` (the path is not secret; the download URL built from
        it carries the bot token and is never stored). Files Telegram will not serve (over 20 MB) keep the reason."""
        if not self.needs_enrichment(message):
            return message
        api = self._api(account, client)
        files = []
        for item in message.extra["files"]:
            item = dict(item) if isinstance(item, dict) else {}
            if item.get("file_id") and "file_path" not in item and "file_path_error" not in item:
                try:
                    found = api.call("getFile", {"file_id": item["file_id"]})
                except SendError as exc:
                    if exc.retryable:
                        raise ConnectorError(exc.reason) from None
                    item["file_path_error"] = exc.reason
                else:
                    path = found.get("file_path") if isinstance(found, dict) else None
                    if isinstance(path, str) and path:
                        item["file_path"] = path
                    else:
                        item["file_path_error"] = "Telegram gave no file path (the file is over 20 MB)"
            files.append(item)
        return dataclasses.replace(message, extra={**message.extra, "files": files})

    # --- inbound attachments: file_id → getFile → /file/bot<token>/<file_path> (the address is never kept) ---------
    def fetchable(self, file: InboundFile) -> bool:
        return bool(_file_id(file))

    def fetch_attachment(self, account: AccountContext, file: InboundFile, client: httpx.Client, *,
                         max_bytes: int) -> FetchedFile:
        file_id = _file_id(file)
        if not file_id:
            raise FetchError("Telegram gave no file id for this file", code="unavailable")
        try:
            api = self._api(account, client)
            found = api.call("getFile", {"file_id": file_id})
        except SendError as exc:
            if exc.retryable:
                raise FetchError(exc.reason, retryable=True, retry_after=exc.retry_after) from None
            too_big = "too big" in exc.reason.lower()
            raise FetchError(exc.reason, code="too_large" if too_big else "refused") from None
        path = found.get("file_path") if isinstance(found, dict) else None
        size = found.get("file_size") if isinstance(found, dict) else None
        if isinstance(size, int) and not isinstance(size, bool) and size > max_bytes:
            raise FetchError("the file is larger than the limit", code="too_large")
        if not isinstance(path, str) or not path:
            raise FetchError("Telegram gives no file over 20 MB to bots", code="too_large")
        # the file's address is the account's own API base (api.telegram.org or a self-hosted Bot API server)
        return download(client, api.file_url(path), max_bytes=max_bytes, network=self.display_name,
                        name=file.attachment.name or path.rsplit("/", 1)[-1], trusted=True)

    # --- outbound ------------------------------------------------------------------------
    def _api(self, account: AccountContext, client: httpx.Client) -> BotApi:
        token = account.secrets.get("bot_token")
        if not token:
            raise SendError("no Telegram bot token is configured for this account", retryable=False)
        return BotApi(client, api_base=str(account.settings.get("api_base") or DEFAULT_API_BASE), token=token)

    def _target(self, message: OutboundMessage) -> tuple[str | None, str]:
        """(business connection or None, chat id) the reply goes to."""
        found = inbound.split_thread(message.thread_key)
        recipient = message.recipient.platform_user_id if message.recipient else None
        if message.visibility is Visibility.PUBLIC:
            if found is None or found[0] or not found[1].startswith("-"):
                raise SendError("Telegram: only group messages can be answered in public; a private chat is "
                                "answered privately", retryable=False)
            return found
        if found is not None and not found[1].startswith("-"):
            return found
        if recipient and recipient.isdigit():  # from a group to the customer's private chat with the bot
            return None, recipient
        raise SendError("a private Telegram message needs the customer's chat (the customer must have started "
                        "the bot)", retryable=False)

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.visibility is Visibility.NOTE:
            raise SendError("internal notes are never sent to Telegram", retryable=False)
        connection, chat_id = self._target(message)
        api = self._api(account, client)
        if connection:
            self._check_business(api, connection, message.extra)
        common: dict[str, Any] = {"chat_id": int(chat_id)}
        if connection:
            common["business_connection_id"] = connection
        reply = inbound.split_message(message.reply_to_platform_id or "")
        same_chat = reply is not None and (reply[0], reply[1]) == (connection, chat_id)
        reply_parameters = {"message_id": reply[2], "allow_sending_without_reply": True} \
            if reply is not None and same_chat else None
        topic = message.extra.get("topic_id")
        if same_chat and chat_id.startswith("-") and isinstance(topic, int) and not isinstance(topic, bool):
            common["message_thread_id"] = topic

        def sent(result: Any) -> str:
            if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
                raise SendError("Telegram accepted the message but did not return its id: it may have been posted",
                                retryable=True, ambiguous=True)
            return inbound.message_key(chat_id, str(result["message_id"]), connection)

        keyboard = None
        if message.choices:
            if not message.attachments and as_buttons(CHOICES, message.choices) and \
                    all(len(c.payload.encode()) <= 64 for c in message.choices):
                keyboard = {"inline_keyboard": [[{"text": fit(c.label, CHOICES.label_length),
                                                   "callback_data": c.payload}] for c in message.choices]}
            else:  # with files, or too many: written in the text (a caption), answered in words or by link
                message = dataclasses.replace(message, text=as_text(message.text, message.choices), choices=())
        if len(message.text) > MAX_TEXT:
            raise SendError(f"Telegram messages have at most {MAX_TEXT} characters", retryable=False)
        thread = inbound.thread_key(chat_id, connection)
        if not message.attachments:
            body = {**common, "text": message.text}
            if reply_parameters:
                body["reply_parameters"] = reply_parameters
            if keyboard:
                body["reply_markup"] = keyboard
            return SendResult(platform_message_id=sent(api.call("sendMessage", body)), thread_key=thread)
        caption_on_first = bool(message.text) and len(message.text) <= MAX_CAPTION
        parts: list[tuple[str, Callable[[], str]]] = []
        if message.text and not caption_on_first:
            body = {**common, "text": message.text}
            if reply_parameters:
                body["reply_parameters"] = reply_parameters

            def send_text(body: dict[str, Any] = body) -> str:
                return sent(api.call("sendMessage", body))
            parts.append(("text", send_text))
        for index, attachment in enumerate(message.attachments):
            fields = dict(common)
            if index == 0 and caption_on_first:
                fields["caption"] = message.text
            if not parts and reply_parameters:
                fields["reply_parameters"] = reply_parameters
            parts.append((f"attachment:{index}", self._uploader(api, attachment, fields, sent)))
        done = send_parts(message, parts)
        ids = [done[key] for key, _ in parts]
        return SendResult(platform_message_id=ids[0], thread_key=thread, parts=done if len(ids) > 1 else {})

    def _uploader(self, api: BotApi, attachment: Attachment, fields: dict[str, Any],
                  sent: Callable[[Any], str]) -> Callable[[], str]:
        method, field = _method_for(attachment)

        def upload() -> str:
            if attachment.data is None:
                raise SendError("Telegram needs the file's bytes and they were not given", retryable=False)
            name = attachment.name or f"{attachment.kind}"
            files = {field: (name, attachment.data, attachment.mime_type or "application/octet-stream")}
            return sent(api.call(method, fields, files=files))
        return upload

    def _check_business(self, api: BotApi, connection: str, extra: Mapping[str, Any]) -> None:
        """Refuse, with a clear reason, a reply Telegram would refuse: a disabled connection, one without the right
        to reply, a chat inactive for more than 24 hours."""
        last = extra.get("last_customer_message_at")
        if isinstance(last, str):
            try:
                when = datetime.fromisoformat(last)
            except ValueError:
                when = None
            if when is not None and when.tzinfo is not None and datetime.now(UTC) - when > BUSINESS_WINDOW:
                raise SendError("Telegram Business: a bot may answer on behalf of the business only in chats "
                                "active in the last 24 hours; answer from the business account's own app",
                                retryable=False)
        found = api.call("getBusinessConnection", {"business_connection_id": connection})
        if not isinstance(found, dict):
            raise SendError("Telegram did not describe the business connection", retryable=False)
        if found.get("is_enabled") is not True:
            raise SendError("Telegram Business: the business disabled its connection to the bot (Telegram settings "
                            "→ Business → Chatbots); nothing can be sent on its behalf", retryable=False)
        if not inbound.can_reply(found):
            raise SendError("Telegram Business: the business did not allow the bot to reply to messages (Business "
                            "→ Chatbots → the bot's rights: Reply to messages)", retryable=False)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        try:
            me = self._api(account, client).call("getMe")
        except SendError as exc:
            raise ConnectorError(exc.reason) from None
        if not isinstance(me, dict):
            raise ConnectorError("Telegram did not describe the bot")
        if str(me.get("id")) != account.external_id:
            raise ConnectorError(f"this token belongs to bot {me.get('id')} (@{me.get('username')}), not to the "
                                 f"account's bot id {account.external_id}")
        groups = "reads all group messages" if me.get("can_read_all_group_messages") is True else \
            "privacy mode on: in groups it sees only commands, mentions of it and replies to it"
        business = ", can be connected to business accounts" if me.get("can_connect_to_business") is True else ""
        return f"connected as @{me.get('username')} ({me.get('id')}; {groups}{business})"


def _method_for(attachment: Attachment) -> tuple[str, str]:
    mime = attachment.mime_type or ""
    if attachment.kind == "image" and mime in _PHOTO_TYPES:
        return "sendPhoto", "photo"
    if attachment.kind == "video" and mime == media.MP4:
        return "sendVideo", "video"
    if attachment.kind == "audio" and mime in (media.MP3, media.M4A):
        return "sendAudio", "audio"
    return "sendDocument", "document"  # GIF, PDF, other videos and sounds: as files


def _file_id(file: InboundFile) -> str | None:
    """The Telegram file id of the message's file (``extra["files"]``, in the order of the attachments)."""
    files = file.extra.get("files")
    if not isinstance(files, list) or file.index >= len(files):
        return None
    item = files[file.index]
    found = item.get("file_id") if isinstance(item, dict) else None
    return found if isinstance(found, str) and found else None
