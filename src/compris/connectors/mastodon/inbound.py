"""Mastodon's inbound shapes: a Notification (from ``GET /api/v1/notifications`` or the streaming API) turned into
an :class:`InboundMessage`, a status's HTML ``content`` turned into text, and server-sent event streams.

Everything here is pure: no HTTP, no database. Customers' content is untrusted: the HTML is read with the standard
library's parser (never rendered, never executed), and every field is type-checked before use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from compris.connectors.base import (
    Attachment,
    Author,
    InboundMessage,
    ParentPost,
    ParsedDelivery,
    UnprocessableEvent,
    Visibility,
)
from compris.connectors.wire import load_object

#: status visibilities a mention can have; ``direct`` is a private message, the others are public replies in
#: Compris (``private`` is Mastodon's followers-only: still a post, answered with the same visibility)
PUBLIC_VISIBILITIES = ("public", "unlisted", "private")
DIRECT = "direct"
#: Mastodon's media types → Compris's attachment kinds
MEDIA_KINDS = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


# --- HTML → text ----------------------------------------------------------------------------------------------
_BLOCKS = {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED = {"script", "style", "template", "head", "title"}


class _TextParser(HTMLParser):
    """Mastodon's sanitised status HTML (``<p>``, ``<br>``, ``<a>``, ``<span>``...) as plain text: paragraphs
    separated by a blank line, ``<br>`` as a line break, list items on their own lines, a link kept as its visible
    text (Mastodon's own links show the whole URL through their ``invisible`` spans) with its address in brackets
    when the text does not show it (links from other servers' software). Unknown tags keep their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[tuple[str | None, int]] = []  # (href, index of the link's first part)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._paragraph()
        elif tag == "li":
            self._line()
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self._paragraph()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.parts[start:])
            if href and href.lower().startswith(("http://", "https://")) and not _shows(shown, href):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def _line(self) -> None:
        if self.parts and not "".join(self.parts[-1:]).endswith("\n"):
            self.parts.append("\n")

    def _paragraph(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.parts = [text.rstrip(" \t\n") + "\n\n"]

    def text(self) -> str:
        lines = "".join(self.parts).replace("\r\n", "\n").replace("\xa0", " ").split("\n")
        text = "\n".join(line.rstrip() for line in lines)
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text.strip()


def _shows(shown: str, href: str) -> bool:
    """Whether a link's visible text already says where it goes (a mention, a hashtag, the URL itself)."""
    shown = shown.strip()
    if not shown or shown.startswith(("@", "#")):
        return True
    bare = href.split("://", 1)[-1].rstrip("/")
    return bare in shown or shown.rstrip("/…").split("://", 1)[-1] in href


def html_to_text(html: str) -> str:
    """A status's HTML ``content`` as plain text (see :class:`_TextParser`); never raises on broken HTML."""
    parser = _TextParser()
    with contextlib.suppress(Exception):  # HTMLParser is lenient; what it still refuses is left out
        parser.feed(html)
        parser.close()
    return parser.text()


# --- notifications --------------------------------------------------------------------------------------------
def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise UnprocessableEvent("a Mastodon status without its created_at")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnprocessableEvent("a Mastodon status with an unreadable created_at") from None
    if when.tzinfo is None:
        raise UnprocessableEvent("a Mastodon status with a created_at without its time zone")
    return when


def full_acct(account: Mapping[str, Any]) -> str | None:
    """``user@server`` for any account: remote accounts' ``acct`` has it already; a local account's ``acct`` is
    only ``user``, completed with the server of its profile ``url``."""
    acct = _str(account.get("acct")) or _str(account.get("username"))
    if acct is None:
        return None
    acct = acct.lstrip("@")
    if "@" in acct:
        return acct
    url = _str(account.get("url"))
    host = urlsplit(url).hostname if url else None
    return f"{acct}@{host}" if host else acct


def author_of(account: Any) -> Author:
    if not isinstance(account, dict) or _str(account.get("id")) is None:
        raise UnprocessableEvent("a Mastodon status without its author")
    followers = account.get("followers_count")
    return Author(
        platform_user_id=str(account["id"]),
        handle=full_acct(account),
        name=_str(account.get("display_name")) or _str(account.get("username")),
        followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
        avatar_url=_str(account.get("avatar_static")) or _str(account.get("avatar")),
    )


def _attachments(media: Any) -> tuple[Attachment, ...]:
    if not isinstance(media, list):
        return ()
    found = []
    for item in media:
        if not isinstance(item, dict):
            continue
        url = _str(item.get("url")) or _str(item.get("remote_url"))
        found.append(Attachment(kind=MEDIA_KINDS.get(str(item.get("type")), "file"), url=url,
                                name=_str(item.get("description"))))
    return tuple(found)


def status_message(status: Any, *, own_id: str, notification_id: str | None = None) -> InboundMessage:
    """One Mastodon Status as a message: ``direct`` → private (thread: the conversation with that person),
    anything else → public (thread: the status answered, or the status itself when it starts a thread)."""
    if not isinstance(status, dict) or _str(status.get("id")) is None:
        raise UnprocessableEvent("a Mastodon notification without its status")
    status_id = str(status["id"])
    author = author_of(status.get("account"))
    visibility = _str(status.get("visibility")) or "public"
    private = visibility == DIRECT
    content = status.get("content")
    text = html_to_text(content) if isinstance(content, str) else ""
    spoiler = _str(status.get("spoiler_text"))
    if spoiler:  # the content warning the author put before the text
        text = f"[{spoiler.strip()}]\n\n{text}".strip()
    reply_to = _str(status.get("in_reply_to_id"))
    reblogs = status.get("reblogs_count")
    mentions = status.get("mentions")
    extra: dict[str, Any] = {
        "visibility": visibility,
        "acct": author.handle,
        "language": _str(status.get("language")),
        "mentions": [full_acct(m) for m in mentions if isinstance(m, dict)] if isinstance(mentions, list) else [],
        "bot": status.get("account", {}).get("bot") is True,
    }
    if notification_id:
        extra["notification_id"] = notification_id
    return InboundMessage(
        platform_message_id=status_id,
        thread_key=f"dm:{author.platform_user_id}" if private else (reply_to or status_id),
        visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
        author=author,
        text=text,
        created_at=_time(status.get("created_at")),
        reply_to_platform_id=reply_to,
        attachments=_attachments(status.get("media_attachments")),
        reshares=reblogs if isinstance(reblogs, int) and not isinstance(reblogs, bool) else 0,
        is_own=author.platform_user_id == own_id,
        permalink=_str(status.get("url")) or _str(status.get("uri")),
        extra=extra,
        # a public reply is under the status it answers (its thread); Mastodon names only its id and author
        parent_post=ParentPost(
            platform_post_id=reply_to,
            author_id=_str(status.get("in_reply_to_account_id")),
            by_account=_str(status.get("in_reply_to_account_id")) == own_id
            if _str(status.get("in_reply_to_account_id")) else None,
        ) if reply_to and not private else None,
    )


def notification(body: bytes) -> dict[str, Any]:
    data = load_object(body)
    if _str(data.get("id")) is None or _str(data.get("type")) is None:
        raise UnprocessableEvent("a Mastodon notification without its id and type")
    return data


def parse(body: bytes, *, own_id: str) -> ParsedDelivery:
    """One stored Notification: a ``mention`` (public mention or direct message) becomes a message; other types
    (favourites, boosts, follows...) are understood and skipped."""
    data = notification(body)
    kind = str(data["type"])
    if kind != "mention":
        return ParsedDelivery(skipped=(f"notification {data['id']}: type {kind} is not a mention",))
    return ParsedDelivery(messages=(status_message(data.get("status"), own_id=own_id,
                                                   notification_id=str(data["id"])),))


# --- ids ------------------------------------------------------------------------------------------------------
def id_key(value: str) -> tuple[int, str]:
    """Mastodon's ids are numbers written as strings (Snowflake-like, growing): compare them as numbers."""
    return (len(value), value) if value.isdigit() else (0, value)


def newest(ids: Iterable[str], start: str | None = None) -> str | None:
    best = start
    for value in ids:
        if best is None or id_key(value) > id_key(best):
            best = value
    return best


# --- server-sent events ---------------------------------------------------------------------------------------
def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` for each event of a server-sent event stream given line by line: comment lines
    (``:thump``, Mastodon's heartbeat) and unknown fields are ignored, several ``data:`` lines are joined with a
    line break, an event ends at a blank line (the last one also at the end of the stream)."""
    event, data = "", list[str]()
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield event or "message", "\n".join(data)


def streamed_notification(event: str, data: str) -> dict[str, Any] | None:
    """The Notification an SSE ``notification`` event carries, or None for any other event or a payload that is
    not a notification (never raises)."""
    if event != "notification":
        return None
    try:
        return notification(data.encode("utf-8", "replace"))
    except UnprocessableEvent:
        return None
