"""Composition helpers that hold for every network: the @handle a public reply starts with.

What differs per network is the connector's to say (:attr:`Connector.public_reply_mentions` and
:meth:`Connector.reply_mention`, ``Connector.limits.count`` for a text's length): these helpers only apply it.
Pure functions (no database).
"""

from __future__ import annotations

from compris.connectors.base import LengthUnit


def with_mention(text: str, prefix: str) -> str:
    """``text`` starting with ``prefix`` (unless it already mentions that handle at its start)."""
    if not prefix or text.lstrip().lower().startswith(prefix.strip().lower()):
        return text
    return prefix + text.lstrip()


# --- kept for ``inbox.actions.add_reply`` until it counts with ``connector.limits.count`` (issue 12) --------------


def length_unit(network: str | None, connector_unit: LengthUnit = "characters") -> LengthUnit:
    """The connector's own unit (``network`` is ignored): use ``connector.limits.length_unit``."""
    return connector_unit


def text_length(text: str, unit: LengthUnit, *, public: bool = True) -> int:
    """``text``'s length in ``unit``: use ``connector.limits.count(text, visibility)``."""
    from compris.connectors.base import Limits, Visibility

    return Limits(length_unit=unit).count(text, Visibility.PUBLIC if public else Visibility.PRIVATE)
