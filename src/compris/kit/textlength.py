"""How networks count a text's length: characters, grapheme clusters (Bluesky), X's weighted count, Mastodon's.

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


# Mastodon (``StatusLengthValidator``): the text is counted in grapheme clusters (``each_grapheme_cluster.size``)
# after every URL with a protocol (``extract_url_without_protocol: false``: ``www.example.com`` alone is text) is
# replaced by 23 characters (``URL_PLACEHOLDER_CHARS``, reported by the instance as
# ``configuration.statuses.characters_reserved_per_url``) and every mention ``@user@server`` by ``@user``.
MASTODON_URL_LENGTH = 23
_MASTODON_URL = re.compile(
    r"(?<![\w@$#/.])https?://(?:[\w-]+\.)+[\w-]+(?::\d+)?(?:[/?#][^\s<>\"]*)?(?<![.,;:!?)\]'\"])",
    re.IGNORECASE,
)
# Account::MENTION_RE: not after ``=``, ``/`` or a word character; a username, then an optional ``@domain``
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(@[\w.-]+\w)?", re.IGNORECASE
)


def _mastodon_units(text: str) -> list[tuple[int, int, int]]:
    """(start, end, weight) of each counted unit of ``text`` as Mastodon counts it."""
    entities: list[tuple[int, int, int]] = []
    for url in _MASTODON_URL.finditer(text):
        entities.append((url.start(), url.end(), MASTODON_URL_LENGTH))
    for mention in _MASTODON_MENTION.finditer(text):
        start, end = mention.span()
        if any(s < end and start < e for s, e, _ in entities):  # inside a URL: the URL wins
            continue
        entities.append((start, end, 1 + grapheme_count(mention.group(1))))
    entities.sort()
    units: list[tuple[int, int, int]] = []
    pos = 0
    for start, end, weight in entities:
        units.extend((pos + m.start(), pos + m.end(), 1) for m in _GRAPHEME.finditer(text[pos:start]))
        units.append((start, end, weight))
        pos = end
    units.extend((pos + m.start(), pos + m.end(), 1) for m in _GRAPHEME.finditer(text[pos:]))
    return units


def mastodon_length(text: str) -> int:
    """``text``'s length as Mastodon counts it: grapheme clusters, every URL as 23, a mention ``@user@server`` as
    ``@user`` (the server part is not counted)."""
    return sum(w for _, _, w in _mastodon_units(text))


def mastodon_offset(text: str, limit: int) -> int:
    """The character offset from which ``text`` is over Mastodon's ``limit`` (len(text) when it is not)."""
    total = 0
    for start, _end, weight in _mastodon_units(text):
        total += weight
        if total > limit:
            return start
    return len(text)
