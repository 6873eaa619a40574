"""Outbound attachments as the send job gives them to a connector: a signed public URL, and the bytes for
networks that take bytes."""

from __future__ import annotations

import dataclasses
from typing import Any

from compris.connectors.base import Attachment, Author, OutboundMessage, Visibility

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"0" * 40


def image(index: int = 1, *, data: bool = False) -> Attachment:
    return Attachment(kind="image", url=f"https://compris.example/media/1.{index}.1900000000.sig/photo{index}.png",
                      name=f"photo{index}.png", mime_type="image/png", size=len(PNG), upload_id=index,
                      data=PNG if data else None)


def document(index: int = 2, *, data: bool = False) -> Attachment:
    return Attachment(kind="file", url=f"https://compris.example/media/1.{index}.1900000000.sig/ticket.pdf",
                      name="ticket.pdf", mime_type="application/pdf", size=len(PDF), upload_id=index,
                      data=PDF if data else None)


def outbound(text: str, *files: Attachment, visibility: Visibility = Visibility.PRIVATE, **fields: Any
             ) -> OutboundMessage:
    base = OutboundMessage(idempotency_key="reply-9", text=text, visibility=visibility, thread_key="t-1",
                           reply_to_platform_id=None, recipient=Author(platform_user_id="cust-1"),
                           attachments=files)
    return dataclasses.replace(base, **fields)
