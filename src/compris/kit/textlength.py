"""How networks count a text's length: characters, grapheme clusters (Bluesky), or X's weighted count.

Pure functions, used by the connectors' :class:`~compris.connectors.base.Limits` and by the reply guard.
"""

from __future__ import annotations

import re

import regex  # type: ignore[import-untyped]

_GRAPHEME = regex.compile(r"\X")
_EMOJI_CLUSTER = regex.compile(r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator})")


def grapheme_count(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def grapheme_offset(text: str, n: int) -> int:
    """The character offset where grapheme number ``n`` (0-based) starts, or len(text)."""
    if n <= 0:
        return 0
    for count, m in enumerate(_GRAPHEME.finditer(text)):
        if count == n:
            return int(m.start())
    return len(text)


# X ("twitter-text" v3): code points in these ranges weigh 1, every other code point 2 (CJK...), an emoji
# (a whole grapheme cluster, ZWJ sequences included) 2, a URL 23 whatever its length; the @mentions that
# open a reply are not counted (X shows them as reply metadata).
X_URL_LENGTH = 23
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_X_URL = re.compile(r"(?<![\w@/.])(?:https?://|www\.)[^\s<>\"]+(?<![.,;:!?)\]'\"])", re.IGNORECASE)
_X_LEADING_MENTIONS = re.compile(r"^\s*(?:@\w{1,50}\s+)+")


def _x_weight(cluster: str) -> int:
    if _EMOJI_CLUSTER.search(cluster):
        return 2
    total = 0
    for ch in cluster:
        cp = ord(ch)
        total += 1 if any(lo <= cp <= hi for lo, hi in _X_LIGHT) else 2
    return total


def _x_units(text: str, *, reply: bool) -> list[tuple[int, int, int]]:
    """(start, end, weight) of each counted unit of ``text`` as X counts it."""
    start = 0
    if reply:
        m = _X_LEADING_MENTIONS.match(text)
        if m:
            start = m.end()
    units: list[tuple[int, int, int]] = []
    pos = start
    for url in _X_URL.finditer(text, start):
        units.extend(_x_clusters(text, pos, url.start()))
        units.append((url.start(), url.end(), X_URL_LENGTH))
        pos = url.end()
    units.extend(_x_clusters(text, pos, len(text)))
    return units


def _x_clusters(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    return [(start + m.start(), start + m.end(), _x_weight(m.group())) for m in _GRAPHEME.finditer(text[start:end])]


def x_length(text: str, *, reply: bool = True) -> int:
    """The length X gives ``text`` (its limit is 280): URLs 23, CJK and emoji 2, leading reply mentions free."""
    return sum(w for _, _, w in _x_units(text, reply=reply))


def x_offset(text: str, limit: int, *, reply: bool = True) -> int:
    """The character offset from which ``text`` is over X's ``limit`` (len(text) when it is not)."""
    total = 0
    for start, _end, weight in _x_units(text, reply=reply):
        total += weight
        if total > limit:
            return start
    return len(text)


def mastodon_length(text: str) -> int:
    """``text``'s length as Mastodon counts it: characters, every URL as 23, a mention ``@user@server`` as
    ``@user`` (the server part is not counted)."""
    raise NotImplementedError  # scaffold: implemented by the Mastodon connector's work
