"""Raw RFC 5322 messages → :class:`InboundMessage`: headers, threading ids, the readable text, attachments."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html import unescape
from html.parser import HTMLParser
from typing import Any

from compris.connectors.base import Attachment, Author, InboundMessage, UnprocessableEvent, Visibility

MSG_ID = re.compile(r"<([^<>\s]+)>")
BLOCK_TAGS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "section", "article", "header", "footer", "hr", "pre"})
SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID / In-Reply-To / References header, in order, without brackets."""
    if not value:
        return []
    found = MSG_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return found


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text from HTML: tags dropped, scripts and styles removed, entities decoded."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:  # HTMLParser gives up on some malformed markup
        return unescape(re.sub(r"<[^>]*>", " ", html)).strip()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _decoded(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
    except (LookupError, UnicodeError, ValueError, AssertionError):
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    return ""


def _kind(content_type: str) -> str:
    main = content_type.split("/", 1)[0]
    return main if main in ("image", "video", "audio") else "file"


def _attachments(msg: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    if not msg.is_multipart():
        return ()
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        found.append(Attachment(kind=_kind(part.get_content_type()), name=part.get_filename(),
                                mime_type=part.get_content_type(),
                                size=len(payload) if isinstance(payload, bytes) else None,
                                data=payload if isinstance(payload, bytes) else None))
    return tuple(found)


def attachment_part(raw: bytes, index: int) -> Attachment | None:
    """The ``index``-th attachment of the raw message ``raw`` with its bytes (in the order :func:`parse_email`
    lists them), or None when the message has no such part."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(msg, EmailMessage):
        return None
    found = _attachments(msg)
    return found[index] if 0 <= index < len(found) else None


def _body(msg: EmailMessage) -> tuple[str, str]:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", "none"
    text = _decoded(part)
    if part.get_content_type() == "text/html":
        return html_to_text(text), "html"
    return text.replace("\r\n", "\n").strip(), "plain"


def _header(msg: EmailMessage, name: str) -> str | None:
    value = msg.get(name)
    return None if value is None else str(value)


def _addresses(msg: EmailMessage, name: str) -> list[Address]:
    header = msg.get(name)
    addresses = getattr(header, "addresses", None) or ()
    return [a for a in addresses if isinstance(a, Address) and a.addr_spec and "@" in a.addr_spec]


def _envelope_recipients(msg: EmailMessage) -> list[str]:
    """``Delivered-To`` and ``X-Original-To`` (added by the receiving server), in order, without duplicates."""
    found: list[str] = []
    for name in ("Delivered-To", "X-Original-To"):
        for value in msg.get_all(name) or []:
            address = str(value).strip().strip("<>")
            if "@" in address and " " not in address and address not in found:
                found.append(address)
    return found


def _date(msg: EmailMessage) -> datetime:
    header = msg.get("Date")
    when = getattr(header, "datetime", None)
    if isinstance(when, datetime):
        if when.tzinfo is None:  # "-0000": the time is UTC with no claim about the sender's zone
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    return datetime.now(UTC)


def is_automatic(msg: EmailMessage) -> bool:
    """Auto-replies, bounces and bulk mail: never answer them automatically (mail loops)."""
    auto = (_header(msg, "Auto-Submitted") or "no").strip().lower()
    precedence = (_header(msg, "Precedence") or "").strip().lower()
    return (auto != "no" or precedence in ("bulk", "junk", "list", "auto_reply")
            or msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None)


def parse_email(raw: bytes, own_addresses: Collection[str]) -> InboundMessage:
    try:
        return _parse(raw, {a.lower() for a in own_addresses})
    except UnprocessableEvent:
        raise
    except Exception as exc:  # the stdlib parser has edge cases on hostile input
        raise UnprocessableEvent(f"unreadable e-mail: {type(exc).__name__}") from None


def _parse(raw: bytes, own: set[str]) -> InboundMessage:
    if not raw.strip():
        raise UnprocessableEvent("empty message")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(msg, EmailMessage):
        raise UnprocessableEvent("not an e-mail message")
    senders = _addresses(msg, "From")
    if not senders:
        raise UnprocessableEvent("message without a From address")
    sender = senders[0]
    address = sender.addr_spec.lower()
    ids = message_ids(_header(msg, "Message-ID"))
    message_id = ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    parents = message_ids(_header(msg, "In-Reply-To"))
    in_reply_to = parents[0] if parents else None
    references = message_ids(_header(msg, "References"))
    thread_root = references[0] if references else (in_reply_to or message_id)
    text, source = _body(msg)
    reply_to = _addresses(msg, "Reply-To")
    subject = _header(msg, "Subject")
    extra: dict[str, Any] = {
        "channel": "email",
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references": references,
        "subject": subject,
        "to": [a.addr_spec for a in _addresses(msg, "To")],
        "cc": [a.addr_spec for a in _addresses(msg, "Cc")],
        # the address the mailbox received it at (a tokenised ``care+<token>@`` address survives here when the
        # sender's client dropped it from To/Cc)
        "delivered_to": _envelope_recipients(msg),
        "reply_to_address": reply_to[0].addr_spec if reply_to else sender.addr_spec,
        "body_source": source,
        "automatic": is_automatic(msg),
    }
    if msg.defects:
        extra["defects"] = sorted({type(d).__name__ for d in msg.defects})
    return InboundMessage(
        platform_message_id=message_id,
        thread_key=thread_root,
        visibility=Visibility.PRIVATE,
        author=Author(platform_user_id=address, handle=sender.addr_spec, name=sender.display_name or None),
        text=text,
        created_at=_date(msg),
        reply_to_platform_id=in_reply_to,
        thread_title=subject,
        attachments=_attachments(msg),
        is_own=address in own,
        extra=extra,
    )
