"""What Facebook, Instagram and WhatsApp share: the handshake, the signature, batched deliveries,
the Graph client."""

from __future__ import annotations

import json
from datetime import datetime
from typing import ClassVar

import httpx

from compris.connectors.base import (
    AccountContext,
    Connector,
    ParsedDelivery,
    SendError,
    SignatureError,
    UnprocessableEvent,
    Visibility,
    WebhookRequest,
    WebhookResponse,
    WindowStatus,
)
from compris.connectors.meta import messaging, signature
from compris.connectors.meta.graph import DEFAULT_API_BASE, Graph
from compris.connectors.meta.messaging import Collected
from compris.connectors.wire import JSON, arr, load_object, obj, opt_str


class MetaConnector(Connector):
    """Base for Meta's networks. Subclasses set ``webhook_object`` and handle their ``changes``."""

    webhook_object: ClassVar[str]
    #: the secret holding the Graph access token (page token, system-user token...)
    token_field: ClassVar[str] = "access_token"  # noqa: S105 - a field name
    #: whether ``entry[].id`` names our account (pages, Instagram accounts); WhatsApp names the WABA
    entry_is_account: ClassVar[bool] = True

    # --- inbound -------------------------------------------------------------------------
    def handshake(self, account: AccountContext, request: WebhookRequest) -> WebhookResponse | None:
        if request.method.upper() != "GET":
            return None
        return signature.hub_challenge(request.query, account.secrets.get("verify_token"))

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        if request.method.upper() != "POST":
            raise SignatureError("Meta deliveries are POST requests", 405)
        signature.verify(request.headers, request.body, account.secrets.get("app_secret"))

    def routing_ids(self, body: bytes) -> frozenset[str]:
        """``entry[].id`` (the Page or Instagram account); for WhatsApp, whose entries name the business
        account, the ``metadata.phone_number_id`` of each change."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return frozenset()
        entries = data.get("entry") if isinstance(data, dict) else None
        found: set[str] = set()
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            if self.entry_is_account:
                if isinstance(entry.get("id"), str | int) and not isinstance(entry.get("id"), bool):
                    found.add(str(entry["id"]))
                continue
            changes = entry.get("changes")
            for change in changes if isinstance(changes, list) else []:
                value = change.get("value") if isinstance(change, dict) else None
                metadata = value.get("metadata") if isinstance(value, dict) else None
                number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
                if isinstance(number, str | int) and not isinstance(number, bool):
                    found.add(str(number))
        return frozenset(found)

    def parse(self, account: AccountContext, body: bytes) -> ParsedDelivery:
        data = load_object(body)
        kind = data.get("object")
        if kind != self.webhook_object:
            raise UnprocessableEvent(f"object {kind!r} is not {self.webhook_object!r}")
        entries = arr(data.get("entry"), "entry")
        if not entries:
            raise UnprocessableEvent("delivery without entries")
        out = Collected()
        for index, item in enumerate(entries):
            try:
                self._entry(account, obj(item, "entry"), out)
            except UnprocessableEvent as exc:
                out.failures.append(f"entry {index}: {exc}")
        if out.failures and not out.messages and not out.statuses:
            raise UnprocessableEvent("; ".join(out.failures[:5]))
        return ParsedDelivery(messages=tuple(out.messages), statuses=tuple(out.statuses),
                              skipped=tuple(out.skipped + out.failures))

    def _entry(self, account: AccountContext, entry: JSON, out: Collected) -> None:
        entry_id = opt_str(entry, "id") or ""
        if self.entry_is_account and account.external_id and entry_id and entry_id != account.external_id:
            out.skipped.append(f"entry for {entry_id}, not for this account")
            return
        # a malformed change or event is noted and the rest of the batch still counts
        for index, item in enumerate(arr(entry.get("changes"), "changes")):
            try:
                self.parse_change(account, entry, obj(item, "change"), out)
            except UnprocessableEvent as exc:
                out.failures.append(f"entry {entry_id} change {index}: {exc}")
        for index, item in enumerate(arr(entry.get("messaging"), "messaging")):
            try:
                messaging.parse_messaging(obj(item, "messaging"), own_id=entry_id or account.external_id,
                                          channel=self.network, out=out)
            except UnprocessableEvent as exc:
                out.failures.append(f"entry {entry_id} messaging {index}: {exc}")
        if entry.get("standby"):
            out.skipped.append("standby events (another app owns the conversation) are not handled")

    def parse_change(self, account: AccountContext, entry: JSON, change: JSON, out: Collected) -> None:
        out.skipped.append(f"field {change.get('field')!r} is not handled")

    # --- outbound ------------------------------------------------------------------------
    def graph(self, account: AccountContext, client: httpx.Client) -> Graph:
        token = account.secrets.get(self.token_field)
        if not token:
            raise SendError(f"no {self.token_field} is configured for this account", retryable=False)
        return Graph(client, api_base=str(account.settings.get("api_base") or DEFAULT_API_BASE),
                     access_token=token, app_secret=account.secrets.get("app_secret") or None,
                     product=self.display_name)

    def reply_window(self, visibility: Visibility, last_customer_message_at: datetime | None,
                     now: datetime) -> WindowStatus:
        return messaging.window(self.display_name, visibility, last_customer_message_at, now)
