"""Bluesky rich text and record keys.

Facets (``app.bsky.richtext.facet``) mark a mention (``#mention`` with the account's DID) or a link (``#link``) in a
post's or a message's text by **UTF-8 byte** offsets, ``byteStart`` inclusive and ``byteEnd`` exclusive: a client
shows a mention or a link as such only when the facet is there, the text alone is not enough.

Record keys of posts are TIDs: 13 characters of base32-sortable (``234567a-z``) encoding a 64-bit integer whose top
bit is 0, then 53 bits of microseconds since the Unix epoch and 10 bits of "clock id".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# a handle is a domain name: labels of letters, digits and hyphens, a dot between them, a TLD starting with a letter
_MENTION = re.compile(
    r"(?:^|(?<=[\s(\[{\"'«]))@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)")
_LINK = re.compile(r"(?:^|(?<=[\s(\[{\"'«]))(https?://[^\s<>\"]+)", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"»"

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the str
    end: int
    value: str  # the handle (without @) or the URL


def _byte(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def mentions(text: str) -> list[Span]:
    found = []
    for m in _MENTION.finditer(text):
        handle = m.group(1).rstrip(".")
        found.append(Span(m.start(1) - 1, m.start(1) + len(handle), handle))
    return found


def links(text: str) -> list[Span]:
    found = []
    for m in _LINK.finditer(text):
        url = m.group(1)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        if len(url) > len("https://"):
            found.append(Span(m.start(1), m.start(1) + len(url), url))
    return found


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The facets of ``text``: each ``@handle`` whose DID ``resolve`` finds (others stay plain text), each link."""
    result: list[tuple[int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    for span in links(text):
        taken.append((span.start, span.end))
        result.append((span.start, {
            "index": {"byteStart": _byte(text, span.start), "byteEnd": _byte(text, span.end)},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": span.value}],
        }))
    for span in mentions(text):
        if any(s <= span.start < e for s, e in taken):  # an @ inside a URL
            continue
        did = resolve(span.value.lower())
        if not did:
            continue
        result.append((span.start, {
            "index": {"byteStart": _byte(text, span.start), "byteEnd": _byte(text, span.end)},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
        }))
    return [facet for _, facet in sorted(result, key=lambda item: item[0])]


def tid(value: int) -> str:
    """The 13-character TID of a 63-bit integer."""
    value &= (1 << 63) - 1
    out = []
    for _ in range(13):
        out.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def tid_value(key: str) -> int | None:
    """The integer of a TID, or None when ``key`` is not one."""
    if not _TID.match(key):
        return None
    value = 0
    for ch in key:
        value = value * 32 + TID_ALPHABET.index(ch)
    return value


#: 2023-01-01T00:00:00Z in microseconds: the floor of derived record keys when the answered post gives no time
_FLOOR_US = 1_672_531_200_000_000


def reply_rkey(idempotency_key: str, parent_uri: str | None) -> str:
    """A record key for our reply derived only from the reply's idempotency key (and the post it answers), so a
    retry of the same reply asks for the same key and cannot create a second post.

    Its time is the answered post's own TID time (when its key is a TID) plus up to about one second picked by the
    hash, its clock id is 10 more bits of the hash: ordered just after the post it answers, never in the future
    once the customer's post exists, and one of 2^30 keys per answered post (two different replies do not meet)."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    base = None
    if parent_uri:
        parent = tid_value(parent_uri.rsplit("/", 1)[-1])
        if parent is not None:
            base = parent >> 10
    if base is None:
        base = _FLOOR_US + (digest >> 30) % (1 << 34)  # within 2023-01-01's first five hours, by the key
    micros = base + 1 + ((digest >> 10) & ((1 << 20) - 1))
    micros = min(micros, (1 << 53) - 1)
    return tid((micros << 10) | (digest & 1023))
