"""Per-network composition: how a reply's length is counted, and the @handle a public reply starts with.

Pure functions (no database): used by the reply box, the guard context and ``inbox.actions.add_reply``.
Attachments are not composed in Compris yet (the reply box sends text only).
"""

from __future__ import annotations

from compris.replies.guard import LengthUnit
from compris.replies.guard import text as T

#: Networks whose public replies must name the customer in the text for them to be notified (Mastodon) or
#: that show the mention as part of the reply (X, where leading mentions are not counted).
MENTION_NETWORKS = frozenset({"x", "twitter", "mastodon"})


def length_unit(network: str | None, connector_unit: str = "characters") -> LengthUnit:
    """The unit the network counts in: X's weighted count, graphemes (Bluesky), else characters."""
    if network in ("x", "twitter"):
        return "x"
    if connector_unit == "graphemes" or network == "bluesky":
        return "graphemes"
    return "characters"


def text_length(text: str, unit: str, *, public: bool = True) -> int:
    """``text``'s length in ``unit`` (``x``: URLs 23, emoji and CJK 2, leading reply mentions free)."""
    if unit == "x":
        return T.x_length(text, reply=public)
    if unit == "graphemes":
        return T.grapheme_count(text)
    return len(text)


def mention_prefix(network: str | None, visibility: str, handle: str | None) -> str:
    """``"@handle "`` to start a public reply with on networks that need it, else ``""``."""
    if visibility != "public" or network not in MENTION_NETWORKS or not handle:
        return ""
    bare = handle.strip().lstrip("@")
    if not bare or any(c.isspace() for c in bare):
        return ""
    return f"@{bare} "


def with_mention(text: str, prefix: str) -> str:
    """``text`` starting with ``prefix`` (unless it already mentions that handle at its start)."""
    if not prefix or text.lstrip().lower().startswith(prefix.strip().lower()):
        return text
    return prefix + text.lstrip()
