"""The X (Twitter) connector: X Activity API webhooks in, API v2 replies and DMs out."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import httpx

from compris.connectors.base import (
    AccountContext,
    Attachment,
    AttachmentRules,
    Connector,
    ConnectorError,
    FetchedFile,
    InboundFile,
    Limits,
    OutboundMessage,
    ParsedDelivery,
    SendError,
    SendResult,
    SignatureError,
    Visibility,
    WebhookRequest,
    WebhookResponse,
    WindowStatus,
    download,
    profile_link,
    send_parts,
)
from compris.connectors.choices import as_text, refuse_public
from compris.connectors.x import inbound, lookup, outbound, signature
from compris.kit import media

DEFAULT_API_BASE = "https://api.x.com"
#: where X serves the files of direct messages (only to the conversation's members: the brand's user token)
DM_MEDIA_HOST = "ton.twitter.com"

#: images only, uploaded with ``POST /2/media/upload`` (bytes, not a URL): up to 4 on a post, 1 on a DM, 5 MB.
#: GIFs and videos need X's chunked upload and processing, which Compris does not do yet.
_IMAGES = frozenset({media.JPEG, media.PNG, media.WEBP})
POST_ATTACHMENTS = AttachmentRules(mime_types=_IMAGES, max_count=4, max_bytes=5 * 1024 * 1024, public_url=False)
DM_ATTACHMENTS = AttachmentRules(mime_types=_IMAGES, max_count=1, max_bytes=5 * 1024 * 1024, public_url=False)

NOT_SUMMONED = (
    "X lets apps reply publicly only when the author mentioned or quoted our account, and this post "
    "did not: answer with a direct message, or publish a new post instead."
)


class XConnector(Connector):
    network: ClassVar[str] = "x"
    display_name: ClassVar[str] = "X"
    limits: ClassVar[Limits] = Limits(public_max_length=280, private_max_length=10_000, length_unit="x",
                                      public_attachments=POST_ATTACHMENTS, private_attachments=DM_ATTACHMENTS)
    secret_fields: ClassVar[tuple[str, ...]] = (
        "oauth2_client_secret",  # signs X-Twitter-Webhooks-Signature-OAuth2 (recommended)
        "consumer_secret",  # OAuth1 consumer secret: legacy signature header and the CRC
        "user_access_token",  # OAuth2 user token (tweet.read tweet.write dm.read dm.write users.read)
        "app_bearer_token",  # app-only bearer token, for webhook replays
        "refresh_token",  # OAuth2 refresh token (offline.access): renews the 2-hour user token
    )
    setting_fields: ClassVar[tuple[str, ...]] = ("handle", "webhook_id", "client_id", "api_base")
    optional_fields: ClassVar[tuple[str, ...]] = ("consumer_secret", "app_bearer_token", "refresh_token")
    supports_replay: ClassVar[bool] = True
    #: X shows the mentions opening a reply as its addressees, and does not count them in its length
    public_reply_mentions: ClassVar[bool] = True
    can_start_private: ClassVar[bool] = True  # a DM (the customer's settings may refuse it: the send fails then)
    #: X takes no idempotency key, but lists our recent posts and a conversation's DMs (see :meth:`find_sent`)
    can_find_sent: ClassVar[bool] = True
    aliases: ClassVar[tuple[str, ...]] = ("twitter",)
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "User id of the brand's X account",
        "oauth2_client_secret": "OAuth 2.0 client secret",
        "consumer_secret": "API key secret (OAuth 1.0a consumer secret)",
        "user_access_token": "OAuth 2.0 user access token",
        "app_bearer_token": "App-only bearer token",
        "refresh_token": "OAuth 2.0 refresh token",
        "client_id": "OAuth 2.0 client id",
        "handle": "Handle",
        "webhook_id": "Webhook id",
        "api_base": "API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The numeric user id of the brand's account (GET /2/users/me), not the @handle.",
        "oauth2_client_secret": "Developer Console → your app → Keys and tokens → OAuth 2.0 Client Secret. "
        "Signs X-Twitter-Webhooks-Signature-OAuth2.",
        "consumer_secret": "Keys and tokens → API Key Secret. Needed when X signs with the legacy header "
        "(and for the CRC); leave empty otherwise.",
        "user_access_token": "An OAuth 2.0 user token of the brand's account with tweet.read tweet.write "
        "dm.read dm.write users.read.",
        "app_bearer_token": "Keys and tokens → Bearer Token; used to ask X to replay missed events.",
        "refresh_token": "Given with the user token when the offline.access scope was granted. User tokens last "
        "two hours: with this and the client id, Compris renews them by itself when X refuses one.",
        "client_id": "Keys and tokens → OAuth 2.0 Client ID (needed to renew user tokens).",
        "handle": "The brand's @handle without the @ (to recognise mentions).",
        "webhook_id": "The id X gave the webhook (POST /2/webhooks); used for replays.",
        "api_base": "Leave empty for https://api.x.com.",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        return profile_link("https://x.com/", handle)

    # --- inbound -------------------------------------------------------------------------
    def handshake(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse | None:
        token = request.query.get("crc_token")
        if request.method.upper() != "GET" or token is None:
            return None
        secret = account.secrets.get("consumer_secret") or account.secrets.get("oauth2_client_secret")
        if not secret:
            return WebhookResponse(403, b'{"error":"no secret configured"}')
        body = json.dumps({"response_token": signature.crc_response_token(secret, token)}).encode()
        return WebhookResponse(200, body)

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        if request.method.upper() != "POST":
            raise SignatureError("X deliveries are POST requests", 405)
        signature.verify_signatures(
            {k.lower(): v for k, v in request.headers.items()}, request.body,
            consumer_secret=account.secrets.get("consumer_secret"),
            client_secret=account.secrets.get("oauth2_client_secret"),
        )

    def event_id(self, account: AccountContext, request: WebhookRequest) -> str:
        try:
            ids = [str(e.get("event_uuid")) for e in inbound.envelopes(request.body) if e.get("event_uuid")]
        except ConnectorError:
            ids = []
        if ids:
            return ",".join(ids)
        return super().event_id(account, request)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        return inbound.parse(body, brand_id=account.external_id, handle=account.settings.get("handle"))

    # --- product rule --------------------------------------------------------------------
    def can_reply_publicly(self, message_extra: Mapping[str, Any]) -> WindowStatus:
        """X's "summoned" rule for the message being answered (from its ``InboundMessage.extra``)."""
        if message_extra.get("summoned") is True:
            how = "quoted" if message_extra.get("summoned_by") == "quote" else "mentioned"
            return WindowStatus(open=True, closes_at=None, reason=f"the author {how} our account")
        return WindowStatus(open=False, closes_at=None, reason=NOT_SUMMONED)

    # --- outbound ------------------------------------------------------------------------
    def _base(self, account: AccountContext) -> str:
        return str(account.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")

    def _user_token(self, account: AccountContext) -> str:
        token = account.secrets.get("user_access_token")
        if not token:
            raise SendError("no X user access token is configured for this account", retryable=False)
        return token

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        if message.choices:
            # the DM endpoint (POST /2/dm_conversations/with/{id}/messages) takes text and attachments only; X's
            # quick-reply options exist only on the legacy v1.1 direct_messages/events/new: the choices are written
            # in the text, and the customer answers in words ("5", "4/5", "⭐⭐⭐⭐") or with a choice's link
            message = dataclasses.replace(message, text=as_text(message.text, message.choices), choices=())
        token = self._user_token(account)
        if message.visibility is Visibility.PUBLIC:
            if not message.reply_to_platform_id:
                raise SendError("a public X reply needs the post it answers", retryable=False)
            if message.extra.get("summoned") is False:
                raise SendError(NOT_SUMMONED, retryable=False)
            reply_to = message.reply_to_platform_id

            def create_post(media_ids: list[str]) -> str:
                body: dict[str, Any] = {"reply": {"in_reply_to_tweet_id": reply_to}}
                if message.text or not media_ids:
                    body = {"text": message.text, **body}
                if media_ids:
                    body["media"] = {"media_ids": media_ids}
                data = outbound.request(client, "POST", f"{self._base(account)}/2/tweets", token=token, body=body)
                post = data.get("data")
                if not isinstance(post, dict) or not post.get("id"):
                    raise SendError("X did not return the new post's id", retryable=False)
                return str(post["id"])

            return self._with_media(account, message, client, token, "tweet_image", create_post)
        if message.visibility is Visibility.PRIVATE:
            participant = message.extra.get("participant_id") or (
                message.recipient.platform_user_id if message.recipient else None)
            if not participant:
                raise SendError("an X direct message needs the recipient's user id", retryable=False)
            conversation: list[str] = []

            def create_dm(media_ids: list[str]) -> str:
                body: dict[str, Any] = {}
                if message.text or not media_ids:
                    body["text"] = message.text
                if media_ids:
                    body["attachments"] = [{"media_id": m} for m in media_ids]
                data = outbound.request(
                    client, "POST", f"{self._base(account)}/2/dm_conversations/with/{participant}/messages",
                    token=token, body=body,
                )
                event = data.get("data")
                if not isinstance(event, dict) or not event.get("dm_event_id"):
                    raise SendError("X did not return the direct message's id", retryable=False)
                if event.get("dm_conversation_id"):
                    conversation.append(str(event["dm_conversation_id"]))
                return str(event["dm_event_id"])

            result = self._with_media(account, message, client, token, "dm_image", create_dm)
            return SendResult(platform_message_id=result.platform_message_id,
                              thread_key=conversation[0] if conversation else message.thread_key)
        raise SendError("internal notes are never sent to X", retryable=False)

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """After an ambiguous send: our reply among our recent posts (a public reply: same answered post, same
        text) or the conversation's recent DMs (ours, same text, sent since the reply was queued)."""
        if message.choices:
            message = dataclasses.replace(message, text=as_text(message.text, message.choices), choices=())
        if not message.text.strip():
            raise ConnectorError("a reply made only of images cannot be recognised on X")
        token = self._user_token(account)
        after = lookup.since(message.extra)
        if message.visibility is Visibility.PUBLIC and message.reply_to_platform_id:
            found = lookup.find_post(client, self._base(account), token, account.external_id,
                                     message.reply_to_platform_id, message.text, after)
            return SendResult(platform_message_id=found, thread_key=message.thread_key) if found else None
        if message.visibility is Visibility.PRIVATE:
            participant = message.extra.get("participant_id") or (
                message.recipient.platform_user_id if message.recipient else None)
            if not participant:
                raise ConnectorError("an X direct message without its recipient cannot be looked for")
            dm = lookup.find_dm(client, self._base(account), token, account.external_id, str(participant),
                                message.text, after)
            if dm is None:
                return None
            return SendResult(platform_message_id=dm[0], thread_key=dm[1] or message.thread_key)
        raise ConnectorError("X cannot tell whether this reply arrived")

    def _with_media(self, account: AccountContext, message: OutboundMessage, client: httpx.Client, token: str,
                    category: str, create: Any) -> SendResult:
        """Upload each image (``POST /2/media/upload``), then create the post or DM with their media ids. An
        uploaded image is remembered (``media:<n>`` in the send's progress) so that a retry after a failed
        create reuses it instead of uploading it again."""
        parts = [(f"media:{i}", self._uploader(account, client, token, a, category))
                 for i, a in enumerate(message.attachments)]
        done = send_parts(message, parts)
        media_ids = [done[key] for key, _ in parts]
        try:
            created = create(media_ids)
        except SendError as exc:
            exc.progress = {**done, **exc.progress}
            raise
        return SendResult(platform_message_id=created, thread_key=message.thread_key)

    def _uploader(self, account: AccountContext, client: httpx.Client, token: str, attachment: Attachment,
                  category: str) -> Any:
        def upload() -> str:
            if attachment.data is None:
                raise SendError("X needs the image's bytes and they were not given", retryable=False)
            try:
                data = outbound.request(client, "POST", f"{self._base(account)}/2/media/upload", token=token, body={
                    "media": base64.b64encode(attachment.data).decode(), "media_category": category,
                    "media_type": attachment.mime_type or "application/octet-stream",
                })
            except SendError as exc:  # an image uploaded twice is never shown twice: not ambiguous
                exc.ambiguous = False
                raise
            found = data.get("data")
            if not isinstance(found, dict) or not found.get("id"):
                raise SendError("X did not return the uploaded image's id", retryable=False)
            return str(found["id"])
        return upload

    def replay_request(self, account: AccountContext, start: datetime, end: datetime) -> httpx.Request:
        """``POST /2/webhooks/replay`` asking X to redeliver the events of [start, end] (≤ 24 h)."""
        webhook_id = account.settings.get("webhook_id")
        if not webhook_id:
            raise ValueError("the account has no webhook_id setting")
        from_date, to_date = outbound.replay_window(start, end)
        token = account.secrets.get("app_bearer_token") or self._user_token(account)
        body = {"webhook_id": str(webhook_id), "from_date": from_date, "to_date": to_date}
        return httpx.Request(
            "POST", f"{self._base(account)}/2/webhooks/replay",
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            content=json.dumps(body).encode(),
        )

    def replay(self, account: AccountContext, start: datetime, end: datetime, client: httpx.Client) -> str:
        """Send :meth:`replay_request`; returns X's job id (or ``"accepted"``). Raises :class:`SendError`."""
        built = self.replay_request(account, start, end)
        token = built.headers["authorization"].removeprefix("Bearer ")
        data = outbound.request(client, "POST", str(built.url), token=token, body=json.loads(built.content))
        job = data.get("data")
        return str(job.get("job_id") or "accepted") if isinstance(job, dict) else "accepted"

    def refresh_credentials(self, account: AccountContext, client: httpx.Client) -> Mapping[str, str] | None:
        """OAuth2 user tokens last two hours: renew with the refresh token (``offline.access`` scope).

        ``POST /2/oauth2/token`` (form: grant_type=refresh_token, refresh_token, client_id), with HTTP Basic
        authentication as a confidential client. X rotates the refresh token: both new values are returned.
        """
        refresh_token = account.secrets.get("refresh_token")
        client_id = str(account.settings.get("client_id") or "")
        if not refresh_token or not client_id:
            return None
        secret = account.secrets.get("oauth2_client_secret", "")
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if secret:  # a confidential client authenticates with HTTP Basic
            headers["authorization"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        try:
            response = client.post(
                f"{self._base(account)}/2/oauth2/token",
                content=urlencode(
                    {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
                ).encode(),
                headers=headers,
            )
        except httpx.TransportError as exc:
            raise ConnectorError(f"could not reach X to renew the access token: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ConnectorError(f"X refused to renew the access token ({response.status_code}): "
                                 f"{outbound.x_reason(response)}; reconnect the account")
        try:
            data = response.json()
            access = str(data["access_token"])
        except (ValueError, KeyError, TypeError):
            raise ConnectorError("X answered the token renewal with an unexpected body") from None
        renewed = {"user_access_token": access}
        if data.get("refresh_token"):
            renewed["refresh_token"] = str(data["refresh_token"])
        return renewed

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        data = outbound.request(client, "GET", f"{self._base(account)}/2/users/me",
                                token=self._user_token(account))
        user = data.get("data")
        if not isinstance(user, dict):
            raise ConnectorError("X did not describe the authenticated user")
        return f"connected as @{user.get('username')} ({user.get('id')})"

    # --- inbound attachments: DM media (ton.twitter.com) need the brand's user token; public media are on a CDN --
    def fetch_attachment(self, account: AccountContext, file: InboundFile, client: httpx.Client, *,
                         max_bytes: int) -> FetchedFile:
        url = file.attachment.url or ""
        host = urlsplit(url).hostname or ""
        token = account.secrets.get("user_access_token")
        private_hosts = {DM_MEDIA_HOST, urlsplit(self._base(account)).hostname or ""}
        if not token or host not in private_hosts:  # never send the token anywhere else
            return super().fetch_attachment(account, file, client, max_bytes=max_bytes)
        return download(client, url, max_bytes=max_bytes, network=self.display_name,
                        headers={"authorization": f"Bearer {token}"}, name=file.attachment.name)
