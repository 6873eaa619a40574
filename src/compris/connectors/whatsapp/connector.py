"""The WhatsApp Business Cloud API connector."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    Connector,
    Limits,
    OutboundMessage,
    SendError,
    SendResult,
    Visibility,
    WindowStatus,
)
from compris.connectors.meta import MetaConnector
from compris.connectors.meta.messaging import Collected
from compris.connectors.whatsapp.inbound import parse_messages_value
from compris.connectors.wire import JSON, obj

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


class WhatsAppConnector(MetaConnector):
    network: ClassVar[str] = "whatsapp"
    display_name: ClassVar[str] = "WhatsApp"
    webhook_object: ClassVar[str] = "whatsapp_business_account"
    entry_is_account: ClassVar[bool] = False  # entry.id is the WABA; the number is in metadata
    limits: ClassVar[Limits] = Limits(private_max_length=4096, private_reply_window=CUSTOMER_SERVICE_WINDOW)
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
        if message.visibility is not Visibility.PRIVATE:
            raise SendError("WhatsApp messages are private; nothing public can be sent", retryable=False)
        to = message.extra.get("wa_id") or (message.recipient.platform_user_id if message.recipient
                                            else message.thread_key)
        if not to:
            raise SendError("a WhatsApp message needs the customer's BSUID or phone number", retryable=False)
        body: dict[str, object] = {"messaging_product": "whatsapp", "to": str(to), "type": "text",
                                   "text": {"body": message.text}}
        if message.reply_to_platform_id:
            body["context"] = {"message_id": message.reply_to_platform_id}
        body["biz_opaque_callback_data"] = message.idempotency_key[:512]  # echoed in status webhooks
        data = self.graph(account, client).call("POST", f"{account.external_id}/messages", body=body)
        sent = data.get("messages")
        if not isinstance(sent, list) or not sent or not isinstance(sent[0], dict) or not sent[0].get("id"):
            raise SendError("WhatsApp did not return the message id", retryable=False)
        return SendResult(platform_message_id=str(sent[0]["id"]), thread_key=message.thread_key)

    def check_connection(self, account: AccountContext, client: httpx.Client) -> str:
        data = self.graph(account, client).call(
            "GET", account.external_id, params={"fields": "display_phone_number,verified_name,quality_rating"})
        return (f"connected to {data.get('display_phone_number')} ({data.get('verified_name')}, "
                f"quality {data.get('quality_rating')})")
