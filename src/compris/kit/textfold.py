"""Text folded for search: accents, case, width and punctuation ignored, the same in every database.

``fold("Reçu, Gérard!")`` is ``"recu gerard"``. The inbox stores the folded copy of what agents search (message
text, contact names, case subjects) next to the original at write time, and folds the query the same way, so a
plain ``LIKE`` finds "reçu" from "recu" and "Gérard" from "GERARD" on SQLite and on PostgreSQL alike (neither
needs an extension or a collation).
"""

from __future__ import annotations

import re
import unicodedata

#: letters that NFKD does not decompose into a base letter and a mark
_SPECIAL = str.maketrans({"ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i", "æ": "ae",
                          "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "þ": "th", "ð": "d"})
#: anything but letters, digits and the characters of e-mail addresses, handles, phone numbers and case numbers
_SEPARATORS = re.compile(r"[^\w@.+#-]+")
_SPACES = re.compile(r"\s+")
#: the longest folded copy kept (a message's text is at most a few thousand characters)
MAX_FOLDED = 20_000


def fold(text: str | None) -> str:
    """``text`` without accents, in lower case, its punctuation (but ``@ . + # -``) turned into single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_SPECIAL)
    bare = unicodedata.normalize("NFKC", bare)
    spaced = _SEPARATORS.sub(" ", bare.replace("_", " "))
    return _SPACES.sub(" ", spaced).strip()[:MAX_FOLDED]


def folded_or_none(text: str | None, max_length: int = MAX_FOLDED) -> str | None:
    """:func:`fold` (cut at ``max_length``), or None for an empty text (what the search columns store for
    "nothing to find")."""
    return fold(text)[:max_length].strip() or None


def like_pattern(folded: str) -> str:
    """A ``LIKE`` pattern (escape ``\\``) finding ``folded`` anywhere in a folded column."""
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def prefix_pattern(text: str) -> str:
    """A ``LIKE`` pattern (escape ``\\``) finding the values that start with ``text`` (an index on the column,
    ``text_pattern_ops`` on PostgreSQL, serves it)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
