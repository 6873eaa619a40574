"""The Facebook Page connector: feed comments and visitor posts, Messenger conversations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from compris.connectors.base import (
    PRIVATE_REPLY_TO_COMMENT,
    AccountContext,
    AttachmentRules,
    ConnectorError,
    Limits,
    OutboundMessage,
    ParentPost,
    SendError,
    SendResult,
    Visibility,
    profile_link,
)
from compris.connectors.choices import refuse_public
from compris.connectors.facebook.inbound import parse_feed
from compris.connectors.meta import MetaConnector, lookup, messaging
from compris.connectors.meta.graph import read_node
from compris.connectors.meta.messaging import Collected
from compris.connectors.wire import JSON, obj, opt_obj, opt_str
from compris.kit import media

#: a comment may carry one photo (``attachment_url``, fetched by Facebook), with or without text
COMMENT_ATTACHMENTS = AttachmentRules(mime_types=frozenset({media.JPEG, media.PNG, media.GIF}), max_count=1,
                                      max_bytes=10 * 1024 * 1024, public_url=True)


class FacebookConnector(MetaConnector):
    network: ClassVar[str] = "facebook"
    display_name: ClassVar[str] = "Facebook"
    webhook_object: ClassVar[str] = "page"
    token_field: ClassVar[str] = "page_access_token"  # noqa: S105 - a field name
    limits: ClassVar[Limits] = Limits(public_max_length=8000, private_max_length=2000,
                                      choices=messaging.QUICK_REPLIES,
                                      private_reply_window=messaging.HUMAN_AGENT_WINDOW,
                                      public_attachments=COMMENT_ATTACHMENTS,
                                      private_attachments=messaging.MESSENGER_ATTACHMENTS)
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "page_access_token")
    setting_fields: ClassVar[tuple[str, ...]] = ("api_base",)
    #: Facebook takes no idempotency key, but lists a post's or comment's comments and a conversation's messages
    can_find_sent: ClassVar[bool] = True
    generated_fields: ClassVar[tuple[str, ...]] = ("verify_token",)
    field_labels: ClassVar[Mapping[str, str]] = {
        "external_id": "Page id",
        "page_access_token": "Page access token",
        "app_secret": "App secret",
        "verify_token": "Webhook verify token",
        "api_base": "Graph API address",
    }
    field_help: ClassVar[Mapping[str, str]] = {
        "external_id": "The numeric id of the Facebook Page (Page → About → Page transparency, or GET /me "
        "with the page token).",
        "page_access_token": "A long-lived Page access token with pages_messaging, pages_manage_engagement, "
        "pages_read_user_content and pages_manage_metadata.",
        "app_secret": "Meta for Developers → your app → App settings → Basic → App secret. Checks "
        "X-Hub-Signature-256 on every delivery.",
        "verify_token": "Leave empty: Compris makes one. Paste it with the callback URL in the app's "
        "Webhooks settings.",
        "api_base": "Leave empty for https://graph.facebook.com/v25.0.",
    }

    def profile_url(self, settings: Mapping[str, Any], *, platform_user_id: str, handle: str | None) -> str | None:
        # the ids Facebook gives a page are page-scoped: only a username makes a link that opens the profile
        return profile_link("https://www.facebook.com/", handle)

    def parse_change(self, account: AccountContext, entry: JSON, change: JSON, out: Collected) -> None:
        if change.get("field") == "feed":
            parse_feed(entry, obj(change.get("value"), "feed value"), out)
        else:
            super().parse_change(account, entry, change, out)

    def private_reply_target(self, comment_extra: Mapping[str, Any]) -> str | None:
        """The comment itself: Messenger answers a comment privately with one message that opens the conversation."""
        return messaging.private_reply_target(comment_extra)

    def send(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult:
        refuse_public(message, self.display_name)
        graph = self.graph(account, client)
        if message.visibility is Visibility.PUBLIC:
            target = message.reply_to_platform_id
            if not target:
                raise SendError("a public Facebook reply needs the comment or post it answers", retryable=False)
            body: dict[str, str] = {"message": message.text} if message.text else {}
            if len(message.attachments) > 1:
                raise SendError("a Facebook comment carries at most one photo", retryable=False)
            for attachment in message.attachments:
                if not attachment.url:
                    raise SendError("Facebook fetches a comment's photo by URL and it has none", retryable=False)
                body["attachment_url"] = attachment.url
            data = graph.call("POST", f"{target}/comments", body=body)
            if not data.get("id"):
                raise SendError("Facebook did not return the new comment's id", retryable=False)
            return SendResult(platform_message_id=str(data["id"]), thread_key=message.thread_key)
        if message.visibility is Visibility.PRIVATE:
            return messaging.send_dm(message, datetime.now(UTC), self.display_name,
                                     lambda body: graph.call("POST", f"{account.external_id}/messages", body=body),
                                     self.limits.choices)
        raise SendError("internal notes are never sent to Facebook", retryable=False)

    def find_sent(self, account: AccountContext, message: OutboundMessage, client: httpx.Client) -> SendResult | None:
        """After an ambiguous send: our comment among the answered comment's or post's comments (newest first, from
        the page, same text), or our message among the Messenger conversation's recent messages."""
        graph = self.graph(account, client)
        after = lookup.since(message.extra)
        if message.visibility is Visibility.PUBLIC and message.reply_to_platform_id:
            text = lookup.sent_text(message, None, self.display_name, one_object=True)
            found = lookup.find_reply(
                graph, f"{message.reply_to_platform_id}/comments", own_id=account.external_id, text=text, after=after,
                params={"filter": "stream", "order": "reverse_chronological",
                        "fields": "id,message,from,created_time", "limit": "100"},
                text_field="message", time_field="created_time", newest_first=True)
        elif message.visibility is Visibility.PRIVATE and not message.extra.get(PRIVATE_REPLY_TO_COMMENT):
            customer = message.recipient.platform_user_id if message.recipient else message.thread_key
            if not customer:
                raise ConnectorError("a Messenger message without its recipient cannot be looked for")
            text = lookup.sent_text(message, self.limits.choices, self.display_name)
            found = lookup.find_message(graph, account.external_id, platform="messenger", customer=customer,
                                        own_id=account.external_id, text=text, after=after)
        else:  # a private reply to a comment: Facebook does not say which conversation it opened
            raise ConnectorError("Facebook cannot tell whether a private reply to a comment arrived")
        return SendResult(platform_message_id=found, thread_key=message.thread_key) if found else None

    def fetch_post(self, account: AccountContext, platform_post_id: str, client: httpx.Client) -> ParentPost | None:
        """``GET /{post-id}?fields=message,created_time,permalink_url,from`` (the Page token reads the Page's posts
        and its visitors' posts)."""
        data = read_node(self.graph(account, client), platform_post_id,
                         "id,message,story,created_time,permalink_url,from")
        author = opt_obj(data.get("from"), "from")
        author_id = opt_str(author, "id")
        created = opt_str(data, "created_time")
        return ParentPost(
            platform_post_id=platform_post_id,
            text=opt_str(data, "message") or opt_str(data, "story"),
            permalink=opt_str(data, "permalink_url"),
            created_at=messaging.when(created, "created_time") if created else None,
            author_id=author_id,
            author_name=opt_str(author, "name"),
            by_account=author_id == account.external_id if author_id else None,
        )

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        data = self.graph(account, client).call("GET", "me", params={"fields": "id,name"})
        return f"connected to the page {data.get('name')} ({data.get('id')})"
