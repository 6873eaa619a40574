"""The Instagram connector (professional accounts): comments, mentions and direct messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    PRIVATE_REPLY_TO_COMMENT,
    AccountContext,
    Author,
    ConnectorError,
    InboundMessage,
    Limits,
    OutboundMessage,
    ParentPost,
    SendError,
    SendResult,
    Visibility,
    profile_link,
)
from compris.connectors.choices import refuse_public
from compris.connectors.instagram.inbound import parse_comment, parse_mention
from compris.connectors.meta import MetaConnector, lookup, messaging
from compris.connectors.meta.graph import read_node
from compris.connectors.meta.messaging import Collected
from compris.connectors.wire import JSON, obj, opt_str


class InstagramConnector(MetaConnector):
    network: ClassVar[str] = "instagram"
    display_name: ClassVar[str] = "Instagram"
    webhook_object: ClassVar[str] = "instagram"
    limits: ClassVar[Limits] = Limits(public_max_length=2200, private_max_length=1000,
                                      choices=messaging.QUICK_REPLIES,
                                      private_reply_window=messaging.HUMAN_AGENT_WINDOW,
                                      private_attachments=messaging.INSTAGRAM_ATTACHMENTS,
                                      public_attachments_reason="Instagram comment replies are text only: "
                                      "send files by direct message")
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "access_token")
    setting_fields: ClassVar[tuple[str, ...]] = ("api_base",)
    #: Instagram takes no idempotency key, but lists a comment's replies and a conversation's messages
    can_find_sent: ClassVar[bool] = True
    generated_fields: ClassVar[tuple[str, ...]] = ("verify_token",)
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Instagram professional account id",
        "access_token": "Access token",
        "app_secret": "App secret",
        "verify_token": "Webhook verify token",
        "api_base": "Graph API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The numeric id of the Instagram professional account (GET /me?fields=user_id).",
        "access_token": "A long-lived token with instagram_basic, instagram_manage_comments and "
        "instagram_manage_messages (or the instagram_business_* scopes).",
        "app_secret": "Meta for Developers → your app → App settings → Basic → App secret. Checks "
        "X-Hub-Signature-256 on every delivery.",
        "verify_token": "Leave empty: Compris makes one. Paste it with the callback URL in the app's "
        "Webhooks settings.",
        "api_base": "Leave empty for https://graph.facebook.com/v25.0.",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        link = profile_link("https://www.instagram.com/", handle)
        return f"{link}/" if link else None

    def parse_change(self, account: AccountContext, entry: JSON, change: JSON, out: Collected) -> None:
        field = change.get("field")
        if field in ("comments", "live_comments"):
            parse_comment(entry, obj(change.get("value"), "comment value"), str(field), out)
        elif field == "mentions":
            parse_mention(entry, obj(change.get("value"), "mention value"), out)
        else:
            super().parse_change(account, entry, change, out)

    def private_reply_target(self, comment_extra: Mapping[str, Any]) -> str | None:
        """The comment itself: Instagram answers a comment privately with one message that opens the conversation."""
        return messaging.private_reply_target(comment_extra)

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        graph = self.graph(account, client)
        if message.visibility is Visibility.PUBLIC:
            # Instagram threads only one level deep: a reply goes under the top-level comment
            target = message.extra.get("top_level_comment_id") or message.reply_to_platform_id
            if not target:
                raise SendError("a public Instagram reply needs the comment it answers", retryable=False)
            if message.attachments:
                raise SendError("Instagram comment replies are text only: send files by direct message",
                                retryable=False)
            data = graph.call("POST", f"{target}/replies", body={"message": message.text})
            if not data.get("id"):
                raise SendError("Instagram did not return the new comment's id", retryable=False)
            return SendResult(platform_message_id=str(data["id"]), thread_key=message.thread_key)
        if message.visibility is Visibility.PRIVATE:
            return messaging.send_dm(message, datetime.now(UTC), self.display_name,
                                     lambda body: graph.call("POST", f"{account.external_id}/messages", body=body),
                                     self.limits.choices)
        raise SendError("internal notes are never sent to Instagram", retryable=False)

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """After an ambiguous send: our reply among the comment's replies (``GET /{comment-id}/replies``, from our
        account, same text), or our message among the conversation's recent messages (conversations API)."""
        graph = self.graph(account, client)
        after = lookup.since(message.extra)
        target = message.extra.get("top_level_comment_id") or message.reply_to_platform_id
        if message.visibility is Visibility.PUBLIC and target:
            text = lookup.sent_text(message, None, self.display_name)
            found = lookup.find_reply(graph, f"{target}/replies", own_id=account.external_id, text=text, after=after,
                                      params={"fields": "id,text,from,timestamp", "limit": "50"},
                                      text_field="text", time_field="timestamp", newest_first=False)
        elif message.visibility is Visibility.PRIVATE and not message.extra.get(PRIVATE_REPLY_TO_COMMENT):
            customer = message.recipient.platform_user_id if message.recipient else message.thread_key
            if not customer:
                raise ConnectorError("an Instagram message without its recipient cannot be looked for")
            text = lookup.sent_text(message, self.limits.choices, self.display_name)
            found = lookup.find_message(graph, account.external_id, platform="instagram", customer=customer,
                                        own_id=account.external_id, text=text, after=after)
        else:  # a private reply to a comment: Instagram does not say which conversation it opened
            raise ConnectorError("Instagram cannot tell whether a private reply to a comment arrived")
        return SendResult(platform_message_id=found, thread_key=message.thread_key) if found else None

    def needs_enrichment(self, message: InboundMessage) -> bool:
        return bool(message.extra.get("needs_fetch"))

    def enrich(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        return self.fetch_mention(account, message, client) if self.needs_enrichment(message) else message

    def fetch_mention(self, account: AccountContext, message: InboundMessage, client: httpx.Client) -> InboundMessage:
        """Complete a parsed mention (``extra["needs_fetch"]``) with its text and author from the Graph API."""
        comment_id = message.extra.get("comment_id")
        if not comment_id:
            fields = f"mentioned_media.media_id({message.extra.get('media_id')}){{caption,username,timestamp}}"
            key = "mentioned_media"
        else:
            fields = f"mentioned_comment.comment_id({comment_id}){{text,username,timestamp}}"
            key = "mentioned_comment"
        data = self.graph(account, client).call("GET", account.external_id, params={"fields": fields})
        found = data.get(key)
        if not isinstance(found, dict):
            raise SendError("Instagram did not return the mentioned content", retryable=False)
        username = opt_str(found, "username")
        text = opt_str(found, "text") or opt_str(found, "caption") or ""
        timestamp = opt_str(found, "timestamp")
        created = messaging.when(timestamp, "timestamp") if timestamp else message.created_at
        return dataclasses.replace(
            message, text=text, created_at=created,
            author=Author(platform_user_id=f"instagram:{username}" if username else message.author.platform_user_id,
                          handle=username),
            extra={**message.extra, "needs_fetch": False})

    def fetch_post(self, account: AccountContext, platform_post_id: str, client: httpx.Client) -> ParentPost | None:
        """``GET /{ig-media-id}?fields=caption,permalink,timestamp,username``."""
        data = read_node(self.graph(account, client), platform_post_id, "id,caption,permalink,timestamp,username")
        created = opt_str(data, "timestamp")
        return ParentPost(
            platform_post_id=platform_post_id,
            text=opt_str(data, "caption"),
            permalink=opt_str(data, "permalink"),
            created_at=messaging.when(created, "timestamp") if created else None,
            author_name=opt_str(data, "username"),
        )

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        data = self.graph(account, client).call("GET", account.external_id, params={"fields": "id,username"})
        return f"connected as @{data.get('username')} ({data.get('id')})"
