"""WhatsApp: media messages by ``link``; the text as the first file's caption when it takes one."""

from __future__ import annotations

import httpx
import pytest

from compris.connectors import fixture
from compris.connectors.base import Attachment, SendError

from ..attachments import document, image, outbound
from ..standin import Reply, StandIn
from .test_whatsapp import CONNECTOR, NUMBER, account


def _sent(api: StandIn, *ids: str) -> None:
    body = fixture("whatsapp", "send_200.json")
    api.on("POST", f"/v25.0/{NUMBER}/messages", *[Reply(200, {**body, "messages": [{"id": i}]}) for i in ids])


def test_the_text_is_the_caption_of_the_first_file(api: StandIn, http: httpx.Client) -> None:
    _sent(api, "wamid.1", "wamid.2")
    result = CONNECTOR.send(account(api), outbound("Votre carte d'embarquement", image(), document(),
                                                   reply_to_platform_id="wamid.IN"), http)
    first, second = (r.json() for r in api.requests)
    assert first == {"messaging_product": "whatsapp", "to": "cust-1", "type": "image",
                     "image": {"link": image().url, "caption": "Votre carte d'embarquement"},
                     "context": {"message_id": "wamid.IN"}, "biz_opaque_callback_data": "reply-9:attachment:0"}
    assert second == {"messaging_product": "whatsapp", "to": "cust-1", "type": "document",
                      "document": {"link": document().url, "filename": "ticket.pdf"},
                      "biz_opaque_callback_data": "reply-9:attachment:1"}
    assert result.platform_message_id == "wamid.1"
    assert result.parts == {"attachment:0": "wamid.1", "attachment:1": "wamid.2"}


def test_audio_takes_no_caption_so_the_text_goes_first(api: StandIn, http: httpx.Client) -> None:
    _sent(api, "wamid.1", "wamid.2")
    voice = Attachment(kind="audio", url="https://compris.example/media/x/voice.m4a", name="voice.m4a",
                       mime_type="audio/mp4", size=2000, upload_id=5)
    CONNECTOR.send(account(api), outbound("Écoutez ceci", voice), http)
    first, second = (r.json() for r in api.requests)
    assert first["type"] == "text" and first["text"] == {"body": "Écoutez ceci"}
    assert second["type"] == "audio" and second["audio"] == {"link": voice.url}


def test_a_retry_does_not_resend_a_delivered_file(api: StandIn, http: httpx.Client) -> None:
    _sent(api, "wamid.2")
    CONNECTOR.send(account(api), outbound("Légende", image(), document(), progress={"attachment:0": "wamid.1"}), http)
    (only,) = api.requests
    assert only.json()["type"] == "document"


def test_webp_stickers_and_oversized_images_are_refused() -> None:
    rules = CONNECTOR.limits.attachment_rules("private")
    assert rules is not None and CONNECTOR.limits.attachment_rules("public") is None
    webp = Attachment(kind="image", name="s.webp", mime_type="image/webp", size=100)
    big = Attachment(kind="image", name="big.png", mime_type="image/png", size=6 * 1024 * 1024)
    assert "does not accept image/webp" in (rules.refusal("WhatsApp", [webp], has_text=True) or "")
    assert "too large" in (rules.refusal("WhatsApp", [big], has_text=True) or "")
    with pytest.raises(SendError):
        CONNECTOR.send(account(), outbound("x", Attachment(kind="image", name="a.png", mime_type="image/png")),
                       httpx.Client())
