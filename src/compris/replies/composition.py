"""Composition helpers that hold for every network: the @handle a public reply starts with.

What differs per network is the connector's to say (:attr:`Connector.public_reply_mentions` and
:meth:`Connector.reply_mention`, ``Connector.limits.count`` for a text's length): these helpers only apply it.
Pure functions (no database).
"""

from __future__ import annotations


def with_mention(text: str, prefix: str) -> str:
    """``text`` starting with ``prefix`` (unless it already mentions that handle at its start)."""
    if not prefix or text.lstrip().lower().startswith(prefix.strip().lower()):
        return text
    return prefix + text.lstrip()

