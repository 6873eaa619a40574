"""Tag names: how a free tag's name is cleaned and normalised (pure functions, no database).

The key of a name folds accents and case and collapses blanks: "Colis perdu", "colis  PERDU" and "Colis perdü" are
one tag (:func:`tag_key`). Used by the tag actions (:mod:`compris.inbox.actions.tags`) and the inbox's tag filter.
"""

from __future__ import annotations

import re
import unicodedata

from compris.kit.errors import Invalid

#: the longest tag name (the column's size)
MAX_NAME = 64
#: tags on one case, and tags given in one request
MAX_PER_CASE = 30
#: tags in one workspace
MAX_TAGS = 2000
#: colours a tag may take (the UI's palette; None = the default grey)
COLORS = ("grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")

_BLANKS = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """A tag's name as shown: blanks collapsed, outer blanks and a leading ``#`` dropped; checked (not empty, at most
    :data:`MAX_NAME` characters, no control characters)."""
    text = _BLANKS.sub(" ", unicodedata.normalize("NFC", str(name))).strip().lstrip("#").strip()
    if not text:
        raise Invalid("a tag needs a name")
    if len(text) > MAX_NAME:
        raise Invalid.of("a tag's name is at most %(max)s characters", max=MAX_NAME)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise Invalid("a tag's name cannot hold control characters")
    return text


def tag_key(name: str) -> str:
    """The normalised key of a tag name: accents removed, case folded, blanks collapsed ("Colis  PERDÜ" →
    "colis perdu")."""
    decomposed = unicodedata.normalize("NFKD", clean_name(name))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    key = _BLANKS.sub(" ", stripped.casefold()).strip()[:MAX_NAME].strip()
    if not key:
        raise Invalid("a tag needs a name")
    return key


def check_color(color: str | None) -> str | None:
    if color in (None, "", "grey"):
        return None
    if color not in COLORS:
        raise Invalid.of("unknown colour %(color)s", color=str(color)[:20])
    return color
