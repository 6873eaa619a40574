"""After an ambiguous send on Facebook or Instagram: is our reply there? The Graph API lists a comment's replies
and, through the conversations API, a conversation's recent messages: our reply is the one from our account with
the same text, no older than the reply's queueing. Any failure to look raises :class:`ConnectorError` (the reply
is then marked uncertain). WhatsApp's Cloud API lists no sent messages: it cannot look."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from compris.connectors.base import (
    PRIVATE_REPLY_TO_COMMENT,
    ChoiceRules,
    ConnectorError,
    OutboundMessage,
    SendError,
    UnprocessableEvent,
)
from compris.connectors.choices import as_buttons, as_text
from compris.connectors.meta.graph import Graph
from compris.connectors.meta.messaging import when

#: pages looked at before giving up (the platform cannot tell then)
MAX_PAGES = 5
#: clock skew allowed between Meta and Compris
SKEW = timedelta(minutes=2)
_SPACE = re.compile(r"\s+")


def same_text(theirs: str, ours: str) -> bool:
    return _SPACE.sub(" ", theirs).strip() == _SPACE.sub(" ", ours).strip()


def since(extra: Mapping[str, Any]) -> datetime | None:
    """When the reply was queued, less the clock skew: nothing older is ours."""
    try:
        queued = when(extra.get("queued_at"), "queued_at") if extra.get("queued_at") else None
    except UnprocessableEvent:
        return None
    return queued - SKEW if queued else None


def _time(value: object) -> datetime | None:
    try:
        return when(value, "created_time") if value else None
    except UnprocessableEvent:
        return None


def sent_text(message: OutboundMessage, rules: ChoiceRules | None, product: str, *, one_object: bool = False) -> str:
    """The text the platform shows for ``message`` (choices that are not buttons are written in the text); a reply
    that cannot be recognised by its text raises :class:`ConnectorError`: one without text, and a message sent as
    several (text, then each file) unless ``one_object`` (a comment carries its photo)."""
    if message.attachments and not one_object:
        raise ConnectorError(f"a {product} reply with files cannot be recognised after an interrupted send")
    text = message.text
    if message.choices and (rules is None or not as_buttons(rules, message.choices)
                            or message.extra.get(PRIVATE_REPLY_TO_COMMENT)):
        text = as_text(message.text, message.choices)
    if not text.strip():
        raise ConnectorError(f"a {product} reply without text cannot be recognised")
    return text


def _call(graph: Graph, path: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        return graph.call("GET", path, params=params)
    except SendError as exc:
        raise ConnectorError(f"could not look on {graph.product} whether the reply arrived: {exc.reason}") from None


def _pages(graph: Graph, path: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    """Each page's items, following ``paging.cursors.after``, at most :data:`MAX_PAGES`; then ConnectorError."""
    for _ in range(MAX_PAGES):
        data = _call(graph, path, params)
        items = data.get("data") or []
        if not isinstance(items, list):
            raise ConnectorError(f"{graph.product} answered in an unexpected shape")
        yield [item for item in items if isinstance(item, dict)]
        paging = data.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not paging.get("next") or not after:
            return
        params = {**params, "after": str(after)}
    raise ConnectorError(f"too many recent items on {graph.product} to check")


def _author(item: Mapping[str, Any]) -> str:
    author = item.get("from")
    return str(author.get("id") or "") if isinstance(author, dict) else ""


def find_reply(graph: Graph, path: str, *, own_id: str, text: str, after: datetime | None,
               params: dict[str, str], text_field: str, time_field: str, newest_first: bool) -> str | None:
    """Our comment (``from.id`` = ``own_id``) with ``text`` on ``path`` (a comment's replies), or None."""
    for items in _pages(graph, path, params):
        older = False
        for item in items:
            created = _time(item.get(time_field))
            if after is not None and created is not None and created < after:
                older = True
                continue
            if _author(item) == own_id and same_text(str(item.get(text_field) or ""), text) and item.get("id"):
                return str(item["id"])
        if older and newest_first:
            return None
    return None


def find_message(graph: Graph, own_node: str, *, platform: str, customer: str, own_id: str, text: str,
                 after: datetime | None) -> str | None:
    """Our message with ``text`` in the conversation with ``customer`` (``GET /{node}/conversations?user_id=``,
    then the conversation's ``messages``, newest first), or None (no conversation: never delivered)."""
    found = _call(graph, f"{own_node}/conversations", {"platform": platform, "user_id": customer, "fields": "id"})
    conversations = found.get("data") or []
    if not isinstance(conversations, list):
        raise ConnectorError(f"{graph.product} listed the conversations in an unexpected shape")
    ids = [str(c["id"]) for c in conversations if isinstance(c, dict) and c.get("id")]
    if not ids:
        return None
    return find_reply(graph, f"{ids[0]}/messages", own_id=own_id, text=text, after=after,
                      params={"fields": "id,message,from,created_time", "limit": "50"},
                      text_field="message", time_field="created_time", newest_first=True)
