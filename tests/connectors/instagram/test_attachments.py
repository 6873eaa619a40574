"""Instagram: files in direct messages (one per message, by URL); comment replies are text only."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import SendError, Visibility

from ..attachments import document, image, outbound
from ..standin import Reply, StandIn
from .test_instagram import CONNECTOR, IG, account


def test_a_direct_message_with_only_a_file(api: StandIn, http: httpx.Client) -> None:
    api.on("POST", f"/v25.0/{IG}/messages", Reply(200, fixture("instagram", "send_200.json")))
    result = CONNECTOR.send(account(api), outbound("", document()), http)
    assert api.only().json() == {"recipient": {"id": "cust-1"}, "messaging_type": "RESPONSE", "message": {
        "attachment": {"type": "file", "payload": {"url": document().url, "is_reusable": False}}}}
    assert result.parts == {}  # one platform message: nothing more to remember


def test_comment_replies_refuse_files(api: StandIn, http: httpx.Client) -> None:
    assert CONNECTOR.limits.attachment_rules("public") is None
    assert "text only" in CONNECTOR.limits.no_attachments_reason("public")
    with pytest.raises(SendError, match="text only"):
        CONNECTOR.send(account(api), outbound("x", image(), visibility=Visibility.PUBLIC,
                                              reply_to_platform_id="17900000000000001"), http)
    assert api.requests == []


def test_images_over_8_mb_are_refused() -> None:
    rules = CONNECTOR.limits.attachment_rules("private")
    assert rules is not None
    big = image().__class__(kind="image", name="big.png", mime_type="image/png", size=9 * 1024 * 1024)
    assert "too large" in (rules.refusal("Instagram", [big], has_text=True) or "")
