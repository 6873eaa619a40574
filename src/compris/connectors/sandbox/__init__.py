"""The sandbox network: a local stand-in for the social platforms, for demos, tests and load tests.

Protocol (documented in docs/channels/sandbox.md):
- deliveries are POSTed as JSON ``{"event_id", "type": "message", "data": {...}}`` with the header
  ``X-Sandbox-Signature: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>``;
- replies are POSTed to the network's API with ``Authorization: Bearer <api_token>`` and an
  ``Idempotency-Key`` header, which the network honours (a repeated key returns the first result).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from compris.connectors import wire
from compris.connectors.base import (
    AccountContext,
    Attachment,
    AttachmentRules,
    Author,
    ChoiceRules,
    Connector,
    FetchError,
    InboundMessage,
    Limits,
    OutboundMessage,
    ParentPost,
    ParsedDelivery,
    SendError,
    SendResult,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
    transport_failure,
)
from compris.connectors.choices import as_buttons, as_text, fit, refuse_public
from compris.kit import media

SIGNATURE_HEADER = "x-sandbox-signature"
#: the sandbox network takes up to four files on any reply, by URL (it keeps the link, as a platform would)
ATTACHMENTS = AttachmentRules(mime_types=media.ALL, max_count=4, public_url=True)
#: a private message may offer up to 10 answers as buttons (labels ≤ 40 characters, payloads ≤ 500); the tapped
#: answer comes back as a private message whose ``choice`` is the payload
CHOICES = ChoiceRules(buttons=True, max_choices=10, label_length=40, payload_length=500)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SandboxConnector(Connector):
    network = "sandbox"
    display_name = "Sandbox network"
    limits = Limits(public_max_length=1000, private_max_length=4000, private_reply_window=timedelta(days=7),
                    public_attachments=ATTACHMENTS, private_attachments=ATTACHMENTS, choices=CHOICES)
    secret_fields: ClassVar[tuple[str, ...]] = ("webhook_secret", "api_token")
    setting_fields: ClassVar[tuple[str, ...]] = ("api_base", "flavour")
    #: the sandbox network keeps every reply's Idempotency-Key and answers a repeated key with the first result
    #: (``sandbox_network.store``): a send interrupted without a clear answer is sent again with the same key
    supports_idempotency = True
    can_start_private = True  # a DM to anyone who wrote in public

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        secret = account.secrets.get("webhook_secret", "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret:
            raise SignatureError("no webhook secret configured", 403)
        if not given:
            raise SignatureError("missing X-Sandbox-Signature header")
        if not hmac.compare_digest(given.encode(), sign(secret, request.body).encode()):
            raise SignatureError("signature does not match")

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("event_id"), str) and data["event_id"]:
            return str(data["event_id"])
        return super().event_id(account, request)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise UnprocessableEvent(f"not JSON: {type(exc).__name__}") from None
        if not isinstance(envelope, dict) or envelope.get("type") != "message":
            raise UnprocessableEvent("expected an object with type 'message'")
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise UnprocessableEvent("missing 'data'")
        try:
            return ParsedDelivery(messages=(self._message(account, data),))
        except UnprocessableEvent as exc:
            raise UnprocessableEvent(f"bad message: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a case _message does not check yet
            raise UnprocessableEvent(f"bad message: {type(exc).__name__}: {exc}") from None

    def _message(self, account: AccountContext, data: dict[str, Any]) -> InboundMessage:
        """One message, read strictly: a field of the wrong type is an :class:`UnprocessableEvent` naming it."""
        author = wire.obj(data.get("author"), "author")
        kind = wire.opt_str(data, "kind") or "post"
        if kind not in ("post", "comment", "dm"):
            raise UnprocessableEvent(f"kind: unknown kind {kind[:40]!r}")
        created = wire.from_iso(wire.req_str(data, "created_at", "message"), "created_at")
        text = data.get("text", "")
        if not isinstance(text, str):
            raise UnprocessableEvent("text: expected a string")
        author_id = wire.req_str(author, "id", "author")
        attachments = []
        for i, item in enumerate(wire.arr(data.get("attachments"), "attachments")):
            a = wire.obj(item, f"attachments[{i}]")
            attachments.append(Attachment(kind=wire.opt_str(a, "kind") or "file", url=wire.opt_str(a, "url"),
                                          name=wire.opt_str(a, "name"), mime_type=wire.opt_str(a, "mime_type")))
        choice = wire.opt_str(data, "choice") if data.get("choice") else None
        return InboundMessage(
            platform_message_id=wire.req_str(data, "id", "message"),
            thread_key=wire.req_str(data, "thread_id", "message"),
            visibility=Visibility.PRIVATE if kind == "dm" else Visibility.PUBLIC,
            author=Author(
                platform_user_id=author_id,
                handle=wire.opt_str(author, "handle"),
                name=wire.opt_str(author, "name"),
                followers=wire.opt_int(author, "followers"),
                verified=bool(author.get("verified", False)),
            ),
            text=text,
            created_at=created,
            reply_to_platform_id=wire.opt_str(data, "reply_to"),
            thread_title=wire.opt_str(data, "thread_title"),
            attachments=tuple(attachments),
            promoted=bool(data.get("promoted", False)),
            reshares=wire.opt_int(data, "reshares") or 0,
            is_own=author_id == account.external_id,
            permalink=wire.opt_str(data, "permalink"),
            extra={"choice": choice} if choice else {},
            rating=_rating(data.get("rating")),
            parent_post=_parent_post(account, data) if kind == "comment" else None,
        )

    def fetch_post(self, account: AccountContext, platform_post_id: str, client: httpx.Client) -> ParentPost | None:
        """``GET /api/threads/{post id}``: the post is the thread's first message."""
        base = str(account.settings.get("api_base", "")).rstrip("/")
        if not base:
            raise FetchError("the sandbox account has no api_base setting")
        try:
            response = client.get(f"{base}/api/threads/{quote(platform_post_id, safe='')}",
                                  headers={"Authorization": f"Bearer {account.secrets.get('api_token', '')}"})
        except httpx.TransportError as exc:
            raise FetchError(f"cannot reach the sandbox network: {type(exc).__name__}", retryable=True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise FetchError(f"sandbox answered {response.status_code}", retryable=True)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise FetchError(f"sandbox refused ({response.status_code}): {_error_text(response)}", code="refused")
        try:
            data = wire.obj(response.json(), "thread")
            first = next((wire.obj(m, "message") for m in wire.arr(data.get("messages"), "messages")
                          if isinstance(m, dict) and m.get("id") == platform_post_id), None)
        except (ValueError, UnprocessableEvent) as exc:
            raise FetchError(f"sandbox answered with an unexpected body: {exc}") from None
        if first is None:
            return None
        try:
            return _post_facts(account, first, title=wire.opt_str(data, "title"))
        except UnprocessableEvent as exc:
            raise FetchError(f"sandbox answered with an unexpected post: {exc}") from None

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        base = str(account.settings.get("api_base", "")).rstrip("/")
        if not base:
            raise SendError("the sandbox account has no api_base setting", retryable=False)
        if message.visibility == Visibility.PUBLIC:
            url = f"{base}/api/threads/{message.thread_key}/replies"
            body: dict[str, Any] = {"text": message.text, "reply_to": message.reply_to_platform_id}
        else:
            if message.recipient is None:
                raise SendError("a private message needs a recipient", retryable=False)
            url = f"{base}/api/dm/{message.recipient.platform_user_id}/messages"
            body = {"text": message.text, "reply_to": message.reply_to_platform_id}
        if message.choices and as_buttons(CHOICES, message.choices):
            body["choices"] = [{"label": fit(c.label, CHOICES.label_length), "payload": c.payload,
                                **({"url": c.url} if c.url else {})} for c in message.choices]
        elif message.choices:
            body["text"] = as_text(message.text, message.choices)
        if message.attachments:
            if any(not a.url for a in message.attachments):
                raise SendError("the sandbox network fetches attachments by URL and one has none", retryable=False)
            body["attachments"] = [{"kind": a.kind, "url": a.url, "name": a.name, "mime_type": a.mime_type}
                                   for a in message.attachments]
        headers = {
            "Authorization": f"Bearer {account.secrets.get('api_token', '')}",
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            response = client.post(url, json=body, headers=headers)
        except httpx.TransportError as exc:  # ambiguous unless it never left; the same key is safe to send again
            raise transport_failure(exc, self.display_name) from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            raise SendError(
                f"sandbox answered {response.status_code}: {_error_text(response)}",
                retryable=True,
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
                ambiguous=response.status_code >= 500,
            )
        if response.status_code >= 400:
            raise SendError(
                f"sandbox refused the message ({response.status_code}): {_error_text(response)}", retryable=False
            )
        try:
            data = response.json()
            return SendResult(platform_message_id=str(data["id"]), thread_key=_opt_str(data.get("thread_id")))
        except (ValueError, KeyError, TypeError):  # it accepted something: the same key tells what
            raise SendError("sandbox answered with an unexpected body", retryable=True, ambiguous=True) from None

    #: the flavours whose platform has no API for public replies (Tripadvisor's management responses): as there,
    #: the agent posts them by hand, here on the sandbox network's page
    BY_HAND_FLAVOURS: ClassVar[frozenset[str]] = frozenset({"tripadvisor"})

    #: the flavours whose platform has no private conversation with a customer (review sites, YouTube comments)
    PUBLIC_ONLY_FLAVOURS: ClassVar[frozenset[str]] = frozenset({"google", "yelp", "tripadvisor", "youtube"})

    #: the platform each flavour imitates, as its account shows it (``<platform> (sandbox)``)
    FLAVOUR_NAMES: ClassVar[Mapping[str, str]] = {
        "x": "X", "facebook": "Facebook", "instagram": "Instagram", "whatsapp": "WhatsApp", "vk": "VKontakte",
        "telegram": "Telegram", "mastodon": "Mastodon", "bluesky": "Bluesky", "google": "Google reviews",
        "yelp": "Yelp", "tripadvisor": "Tripadvisor", "youtube": "YouTube",
    }

    def name_for(self, settings: Mapping[str, Any]) -> str:
        platform = self.FLAVOUR_NAMES.get(str(settings.get("flavour") or ""))
        return f"{platform} (sandbox)" if platform else self.display_name

    def _imitated(self, settings: Mapping[str, Any]) -> Connector | None:
        from compris.connectors import registry

        flavour = str(settings.get("flavour") or "")
        found = registry.connectors().get(flavour) if flavour in self.FLAVOUR_NAMES else None
        return found if found is not None and not isinstance(found, SandboxConnector) else None

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        """The imitated platform's profile link (a demo persona's made-up handle on the real network)."""
        imitated = self._imitated(settings)
        return imitated.profile_url({}, platform_user_id=platform_user_id, handle=handle) if imitated else None

    def reach_kind(self, settings: Mapping[str, Any]) -> str | None:
        imitated = self._imitated(settings)
        return imitated.identity_reach if imitated else None

    def replies_by_hand(self, settings: Mapping[str, Any]) -> bool:
        return str(settings.get("flavour") or "") in self.BY_HAND_FLAVOURS

    def has_private_messages(self, settings: Mapping[str, Any]) -> bool:
        return self.private_messages and str(settings.get("flavour") or "") not in self.PUBLIC_ONLY_FLAVOURS

    def manual_send_url(self, account: AccountContext, message: OutboundMessage) -> str | None:
        """The review's place on the sandbox network's page (its permalink)."""
        url = message.extra.get("permalink")
        return url if isinstance(url, str) else None

    def private_thread_key(self, account: AccountContext, customer: Author) -> str:
        return f"dm-{customer.platform_user_id}"

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        base = str(account.settings.get("api_base", "")).rstrip("/")
        try:
            response = client.get(
                f"{base}/api/me", headers={"Authorization": f"Bearer {account.secrets.get('api_token', '')}"}
            )
        except httpx.TransportError as exc:
            raise SendError(f"cannot reach the sandbox network: {exc}", retryable=True) from None
        if response.status_code != 200:
            raise SendError(f"sandbox answered {response.status_code}", retryable=False)
        return f"connected as {response.json().get('name', '?')}"


def _post_facts(account: AccountContext, post: dict[str, Any], *, title: str | None = None) -> ParentPost:
    """A post as the sandbox network describes it (a comment's ``post``, a thread's first message)."""
    author = wire.opt_obj(post.get("author"), "post.author")
    author_id = wire.opt_str(author, "id")
    created = wire.opt_str(post, "created_at")
    text = post.get("text")
    return ParentPost(
        platform_post_id=wire.req_str(post, "id", "post"),
        text=text if isinstance(text, str) and text else None,
        title=title,
        permalink=wire.opt_str(post, "permalink"),
        created_at=wire.from_iso(created, "post.created_at") if created else None,
        author_id=author_id,
        author_name=wire.opt_str(author, "name") or wire.opt_str(author, "handle"),
        by_account=(author_id == account.external_id) if author_id else None,
    )


def _parent_post(account: AccountContext, data: dict[str, Any]) -> ParentPost:
    """The post a comment is under: what the delivery's ``post`` says, else only its id (the thread's)."""
    if data.get("post") is None:
        return ParentPost(platform_post_id=wire.req_str(data, "thread_id", "message"))
    return _post_facts(account, wire.obj(data.get("post"), "post"), title=wire.opt_str(data, "thread_title"))


def _rating(value: Any) -> int | None:
    """A review's stars: a whole number from 1 to 5, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise UnprocessableEvent("rating: must be a whole number of stars from 1 to 5")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
        if isinstance(data, dict) and "error" in data:
            return str(data["error"])[:500]
    except ValueError:
        pass
    return response.text[:200]
