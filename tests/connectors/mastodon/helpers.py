from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compris.connectors import fixture
from compris.connectors.base import AccountContext

from ..standin import Reply, StandIn

OWN_ID = "109876543210987654"
TOKEN = "mastodon-token-123"
NOTIFICATIONS = "/api/v1/notifications"
STREAM = "/api/v1/streaming/user/notification"
STATUSES = "/api/v1/statuses"


@dataclass(frozen=True)
class EventStream(Reply):
    """A stand-in answer in ``text/event-stream`` (Mastodon's streaming API over HTTP)."""

    def payload(self) -> tuple[bytes, str]:
        return self.body, "text/event-stream"


def sse(*notifications: dict[str, Any], garbage: Iterable[str] = ()) -> bytes:
    """A streaming answer: a heartbeat, then one ``notification`` event per notification."""
    lines = [":)", ":thump", *garbage]
    for n in notifications:
        lines += ["event: notification", "data: " + json.dumps(n, ensure_ascii=False), ""]
    return ("\n".join(lines) + "\n").encode()


def account(api: StandIn | None = None, **settings: Any) -> AccountContext:
    given: dict[str, Any] = {"api_base": api.base_url} if api else {"api_base": "https://mastodon.example"}
    given.update(settings)
    return AccountContext(account_id=7, workspace_id=1, network="mastodon", external_id=OWN_ID, settings=given,
                          secrets={"access_token": TOKEN})


def page() -> list[dict[str, Any]]:
    """``GET /api/v1/notifications``: a reply (newest), a direct message, a mention (oldest)."""
    data: list[dict[str, Any]] = fixture("mastodon", "notifications_page.json")
    return data
