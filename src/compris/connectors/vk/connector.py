"""The VKontakte connector: a community's Callback API in, ``messages.send``, ``wall.createComment`` and
``photos.createComment`` out (API 5.199, plain ``httpx``: see ``docs/channels/vk.md``)."""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from compris.connectors.base import (
    AccountContext,
    Author,
    ChoiceRules,
    Connector,
    ConnectorError,
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
    profile_link,
)
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public
from compris.connectors.vk import api, inbound
from compris.connectors.wire import JSON

#: ``messages.send`` documents ``message`` up to 9,000 characters, but community messages longer than 4,096 are
#: refused in practice (error 914): Compris keeps to 4,096. Comments: VK documents no limit; 2,048 is a prudent
#: value (unconfirmed). Neither kind of reply has a time window (see ``docs/channels/vk.md``).
PRIVATE_MAX_LENGTH = 4096
PUBLIC_MAX_LENGTH = 2048
USER_FIELDS = "screen_name,followers_count,verified,photo_100"
#: survey answers as an inline keyboard in the message (VK: at most 10 buttons, 5 per row and 6 rows; a text
#: button's label up to 40 characters; its payload, a JSON string, up to 255 — ours wraps the choice's payload in
#: ``{"choice": ...}``). Needs the community's "bot capabilities" on (else error 912: the choices are then written in
#: the text) and a client that shows inline keyboards (``client_info.inline_keyboard`` of the customer's message).
CHOICES = ChoiceRules(buttons=True, max_choices=10, label_length=40, payload_length=200)
#: VK's refusals of the keyboard itself: keyboard format invalid (911), bot capabilities off (912)
KEYBOARD_REFUSED = frozenset({911, 912})


class VKConnector(Connector):
    network: ClassVar[str] = "vk"
    display_name: ClassVar[str] = "VKontakte"
    aliases: ClassVar[tuple[str, ...]] = ("vkontakte", "вконтакте")
    limits: ClassVar[Limits] = Limits(
        public_max_length=PUBLIC_MAX_LENGTH, private_max_length=PRIVATE_MAX_LENGTH,
        public_attachments_reason="Compris does not upload files to VK yet (VK needs them uploaded to its own "
        "servers first)",
        private_attachments_reason="Compris does not upload files to VK yet (VK needs them uploaded to its own "
        "servers first)",
        choices=CHOICES)
    secret_fields: ClassVar[tuple[str, ...]] = ("access_token", "secret_key", "confirmation_code",
                                                "user_access_token")
    setting_fields: ClassVar[tuple[str, ...]] = ("api_base",)
    optional_fields: ClassVar[tuple[str, ...]] = ("user_access_token",)
    #: ``messages.send`` drops a repeat of the same ``random_id`` in the dialog (its last hour, at most 100
    #: messages), ``wall.createComment``/``photos.createComment`` a repeat of the same ``guid``: a send interrupted by
    #: a crash is tried again with the same values
    supports_idempotency: ClassVar[bool] = True
    #: a community may write only to people who wrote to it or allowed its messages: never to a commenter who did
    #: neither (the send fails with error 901)
    can_start_private: ClassVar[bool] = False
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Community id",
        "access_token": "Community access token",
        "secret_key": "Callback API secret key",
        "confirmation_code": "Callback API confirmation string",
        "user_access_token": "Community admin's user token (photo comments)",
        "api_base": "VK API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The community's numeric id, without the minus sign: Manage → API usage → Callback API "
        "shows it as group_id (or the number in vk.com/club123456).",
        "access_token": "Manage → API usage → Access tokens → Create token, with the rights: community messages, "
        "wall, photos, community management. Replies and names are fetched with it.",
        "secret_key": "Type the same random string of letters and digits (up to 50) here and in Manage → API usage "
        "→ Callback API → Server settings → Secret key. Every delivery must carry it.",
        "confirmation_code": "Manage → API usage → Callback API: the string the server must return (shown above "
        "the address field, e.g. 1a2b3c4d).",
        "user_access_token": "Optional: VK lets only a user token answer photo comments (photos.createComment). A "
        "token of a community admin with the photos and wall rights; leave empty to answer only wall comments "
        "and messages.",
        "api_base": "Leave empty for https://api.vk.com.",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        fallback = f"id{platform_user_id}" if platform_user_id.isdigit() else None
        return profile_link("https://vk.com/", handle or fallback)

    # --- inbound -------------------------------------------------------------------------
    def handshake(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse | None:
        """VK confirms the server with a POST ``{"type": "confirmation", "group_id": ...}``: the answer is the
        confirmation string as plain text. Not a secret (VK shows it to the community's admins), it is still given
        only for this account's community and, when the request carries a secret, only with the right one."""
        if request.method.upper() != "POST":
            return None
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("type") != "confirmation":
            return None
        if str(data.get("group_id")) != _community(account):
            return WebhookResponse(403, b"this address is for another VK community", "text/plain")
        secret = data.get("secret")
        if secret is not None and not self._secret_matches(account, secret):
            return WebhookResponse(403, b"wrong secret key", "text/plain")
        code = account.secrets.get("confirmation_code", "").strip()
        if not code:
            return WebhookResponse(403, b"no confirmation string is configured", "text/plain")
        return WebhookResponse(200, code.encode(), "text/plain")

    @staticmethod
    def _secret_matches(account: AccountContext, given: object) -> bool:
        expected = account.secrets.get("secret_key", "")
        return bool(expected) and isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """VK signs nothing: each delivery carries the Callback API secret key in its body (``secret``). A
        missing or wrong key, or another community's ``group_id``, is refused (403) and nothing is stored."""
        if request.method.upper() != "POST":
            raise SignatureError("VK deliveries are POST requests", 405)
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            raise SignatureError("the delivery is not JSON", 400) from None
        if not isinstance(data, dict):
            raise SignatureError("the delivery is not a JSON object", 400)
        if not account.secrets.get("secret_key"):
            raise SignatureError("no Callback API secret key is configured for this account", 403)
        if not self._secret_matches(account, data.get("secret")):
            raise SignatureError("missing or wrong Callback API secret key", 403)
        if str(data.get("group_id")) != _community(account):
            raise SignatureError(f"the delivery is for VK community {str(data.get('group_id'))[:20]}, "
                                 f"not {_community(account)}", 403)

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        """VK's ``event_id``: a redelivery (``X-Retry-Counter`` set) carries the same one and is stored once."""
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("event_id"), str | int) and \
                not isinstance(data.get("event_id"), bool) and str(data["event_id"]):
            return f"vk:{data['event_id']}"
        return super().event_id(account, request)

    def acknowledge(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse:
        return WebhookResponse(200, b"ok", "text/plain")

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, group_id=_community(account))

    # --- names (users.get) -------------------------------------------------------------------
    def needs_enrichment(self, message: InboundMessage) -> bool:
        """Callbacks carry only ``from_id``: a person's name, screen name and followers come from ``users.get``."""
        author = message.author
        return (not message.is_own and author.name is None and author.platform_user_id.isdigit()
                and "enriched" not in message.extra)

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Fetch the author's profile (one ``users.get`` call, outside any transaction). A refusal that waiting
        will not change (a revoked token...) leaves the message as it is; a passing failure is raised so that the
        message is tried again."""
        if not self.needs_enrichment(message):
            return message
        token = account.secrets.get("access_token", "")
        try:
            found = api.call(client, account.settings, token, "users.get",
                             {"user_ids": message.author.platform_user_id, "fields": USER_FIELDS})
        except SendError as exc:
            if exc.retryable:
                raise ConnectorError(f"VK users.get failed: {exc.reason}") from None
            return dataclasses.replace(message, extra={**message.extra, "enriched": False})
        profile = found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else None
        if profile is None:
            return dataclasses.replace(message, extra={**message.extra, "enriched": False})
        name = " ".join(str(profile.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        followers = profile.get("followers_count")
        screen_name = profile.get("screen_name")
        author = dataclasses.replace(
            message.author, name=name or None,
            handle=str(screen_name) if isinstance(screen_name, str) and screen_name else message.author.handle,
            followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
            verified=profile.get("verified") in (1, True),
            avatar_url=str(profile["photo_100"]) if isinstance(profile.get("photo_100"), str) else None)
        extra = {**message.extra, "enriched": True}
        if profile.get("deactivated"):
            extra["deactivated"] = str(profile["deactivated"])[:40]
        return dataclasses.replace(message, author=author, extra=extra)

    # --- outbound ------------------------------------------------------------------------
    def private_thread_key(self, account: AccountContext, customer: Author) -> str:
        """Inbound private messages are threaded by ``peer_id``, which for a person is their user id."""
        return f"dm:{customer.platform_user_id}"

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.visibility is Visibility.NOTE:
            raise SendError("internal notes are never sent to VK", retryable=False)
        if message.attachments:
            raise SendError(f"VK: {self.limits.no_attachments_reason(message.visibility)}", retryable=False)
        if message.visibility is Visibility.PRIVATE:
            return self._send_private(account, message, client)
        return self._send_comment(account, message, client)

    def _token(self, account: AccountContext) -> str:
        token = account.secrets.get("access_token")
        if not token:
            raise SendError("no VK community access token is configured for this account", retryable=False)
        return token

    def _send_private(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        peer = _peer_of(message)
        params: dict[str, str | int] = {"peer_id": peer, "random_id": api.random_id(message.idempotency_key),
                                        "message": message.text}
        reply_to = message.reply_to_platform_id
        if reply_to and reply_to.isdigit():
            params["reply_to"] = reply_to
        keyboard = _keyboard(message)
        if message.choices:
            params["message"] = message.text if keyboard else as_text(message.text, message.choices)
        if keyboard:
            params["keyboard"] = keyboard
        try:
            found = api.call(client, account.settings, self._token(account), "messages.send", params)
        except api.VKRefusal as exc:
            if not keyboard or exc.code not in KEYBOARD_REFUSED:
                raise
            # the keyboard was refused and nothing was sent: the same message (same random_id), choices in the text
            del params["keyboard"]
            params["message"] = as_text(message.text, message.choices)
            found = api.call(client, account.settings, self._token(account), "messages.send", params)
        sent = _message_id(found)
        return SendResult(platform_message_id=sent, thread_key=f"dm:{peer}")

    def _send_comment(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        target = _comment_target(message)
        group = _community(account)
        guid = message.idempotency_key[:100]
        if target["item"] == "photo":
            token = account.secrets.get("user_access_token")
            if not token:
                raise SendError("VK lets only a user token answer photo comments: add a community admin's user token "
                                "(photos right) to this account, or answer on VK", retryable=False)
            params: dict[str, str | int] = {"owner_id": target["owner_id"], "photo_id": target["photo_id"],
                                            "from_group": 1, "message": message.text, "guid": guid}
            if target.get("reply_to_comment"):
                params["reply_to_comment"] = target["reply_to_comment"]
            found = api.call(client, account.settings, token, "photos.createComment", params)
            comment = _int_of(found, "comment_id")
            return SendResult(platform_message_id=inbound.photo_comment_id(target["owner_id"], comment),
                              thread_key=message.thread_key)
        if target["owner_id"] != f"-{group}":
            raise SendError("Compris answers comments on the community's own wall only", retryable=False)
        params = {"owner_id": target["owner_id"], "post_id": target["post_id"], "from_group": group,
                  "message": message.text, "guid": guid}
        if target.get("reply_to_comment"):
            params["reply_to_comment"] = target["reply_to_comment"]
        found = api.call(client, account.settings, self._token(account), "wall.createComment", params)
        comment = _int_of(found, "comment_id")
        return SendResult(platform_message_id=inbound.wall_comment_id(target["owner_id"], comment),
                          thread_key=message.thread_key)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        """``groups.getById`` with the community token (no id: the token's own community)."""
        try:
            found = api.call(client, account.settings, self._token(account), "groups.getById", {})
        except SendError as exc:
            raise ConnectorError(exc.reason) from None
        groups = found.get("groups") if isinstance(found, dict) else found  # 5.199: {groups, profiles}
        if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
            raise ConnectorError("VK did not describe the token's community")
        group = groups[0]
        if str(group.get("id")) != _community(account):
            raise ConnectorError(f"the token belongs to VK community {group.get('id')}, not {_community(account)}")
        return f"connected to {group.get('name')} (vk.com/{group.get('screen_name')}, id {group.get('id')})"

    # --- inbound attachments: photos, documents, voice messages and stickers are on VK's public CDN (the default);
    # a video or a post is a link to its VK page, not a file
    def fetchable(self, file: InboundFile) -> bool:
        return super().fetchable(file) and not _is_vk_page(file.attachment.url)


def _community(account: AccountContext) -> str:
    """The community's id as VK writes it in deliveries (``group_id``): an id typed with VK's minus sign
    (``-218861756``, as in ``owner_id``) or the ``club`` prefix is read the same."""
    return account.external_id.strip().removeprefix("club").removeprefix("public").lstrip("-")


def _keyboard(message: OutboundMessage) -> str | None:
    """The choices as an inline keyboard (JSON), or None: no choices, too many or too long for buttons, or the
    customer's app said it shows no inline keyboards (``client_info`` of the message answered)."""
    if not message.choices or not as_buttons(CHOICES, message.choices) or not message.text.strip():
        return None
    client_info = message.extra.get("client_info")
    if isinstance(client_info, Mapping) and client_info.get("inline_keyboard") is False:
        return None
    buttons = [{"action": {"type": "text", "label": fit(c.label, CHOICES.label_length),
                           "payload": json.dumps({"choice": c.payload}, ensure_ascii=False)},
                "color": "secondary"} for c in message.choices]
    per_row = 1 if len(buttons) <= 6 else 2  # inline: at most 6 rows of 5
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    return json.dumps({"inline": True, "buttons": rows}, ensure_ascii=False)


def _peer_of(message: OutboundMessage) -> str:
    peer = message.extra.get("peer_id")
    if not peer and message.thread_key.startswith("dm:"):
        peer = message.thread_key.removeprefix("dm:")
    if not peer and message.recipient is not None:
        peer = message.recipient.platform_user_id
    peer = str(peer or "")
    if not peer.isdigit():
        raise SendError("a VK message needs the customer's user id (peer_id)", retryable=False)
    return peer


def _comment_target(message: OutboundMessage) -> dict[str, str]:
    """Where a public reply goes: the post or photo (from the answered comment's notes, else the thread key) and
    the comment it answers (``reply_to_comment``)."""
    extra: Mapping[str, Any] = message.extra
    key = message.thread_key
    target: dict[str, str] = {}
    for prefix, item, field in (("wall", "wall", "post_id"), ("photo", "photo", "photo_id")):
        if key.startswith(prefix) and "_" in key:
            owner, _, number = key.removeprefix(prefix).partition("_")
            if owner.lstrip("-").isdigit() and number.isdigit():
                target = {"item": item, "owner_id": owner, field: number}
    if not target:
        raise SendError("a public VK reply needs the post or photo it answers", retryable=False)
    comment = str(extra.get("comment_id") or "")
    reply_to = message.reply_to_platform_id or ""
    if not comment and ":" in reply_to:
        comment = reply_to.rpartition("_")[2]
    if comment.isdigit():
        target["reply_to_comment"] = comment
    return target


def _message_id(found: Any) -> str:
    """``messages.send`` answers the new message's id; with ``peer_ids``, a list of ``{peer_id, message_id,
    error}``."""
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found)
    if isinstance(found, list) and found and isinstance(found[0], dict):
        first: JSON = found[0]
        error = first.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            raise api.refusal(int(code) if isinstance(code, int) else -1, str(error.get("description") or ""))
        if isinstance(first.get("message_id"), int):
            return str(first["message_id"])
    raise SendError("VK did not return the sent message's id", retryable=False)


def _int_of(found: Any, key: str) -> str:
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found)
    if isinstance(found, dict) and isinstance(found.get(key), int):
        return str(found[key])
    raise SendError(f"VK did not return the new comment's id ({key})", retryable=False)


def _is_vk_page(url: str | None) -> bool:
    """``https://vk.com/video…`` and the like: a page on VK itself, not a file on its CDN."""
    return (urlsplit(url or "").hostname or "") in ("vk.com", "m.vk.com", "vk.ru")
