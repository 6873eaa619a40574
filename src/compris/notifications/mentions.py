"""Who an internal note mentions: ``@Firstname``, ``@First Last`` (the whole name) or ``@local`` (the part of the
e-mail address before the ``@``), compared without case or accents (``@helene`` is Hélène). A pure function of the
text and the candidates (the workspace's active users).

The longest form that fits wins (``@Julien Martin`` is Julien Martin, not every Julien); a first name two people
share mentions both. An ``@`` inside a word (an e-mail address in the note) mentions nobody; an unknown name is
ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, accents removed, every run of white space one space (``"Hélène  Dupré"`` → ``"helene dupre"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold())


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    email: str

    def handles(self) -> set[str]:
        """The folded forms that name this user: the whole name, the first name, the e-mail's local part."""
        found = set()
        name = fold(self.name).strip()
        if name:
            found.add(name)
            found.add(name.split(" ")[0])
        local = fold(self.email.split("@", 1)[0]).strip()
        if local:
            found.add(local)
        return {h for h in found if h}


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def mentioned(text: str, candidates: Iterable[Candidate]) -> set[int]:
    """The ids of the candidates ``text`` mentions."""
    folded = fold(text)
    if "@" not in folded:
        return set()
    by_handle: dict[str, set[int]] = {}
    for candidate in candidates:
        for handle in candidate.handles():
            by_handle.setdefault(handle, set()).add(candidate.user_id)
    handles = sorted(by_handle, key=len, reverse=True)  # the longest form first
    found: set[int] = set()
    for at in (i for i, ch in enumerate(folded) if ch == "@"):
        if at > 0 and (_word(folded[at - 1]) or folded[at - 1] in ".-+"):
            continue  # part of an e-mail address or a word
        rest = folded[at + 1:]
        for handle in handles:
            if rest.startswith(handle) and (len(rest) == len(handle) or not _word(rest[len(handle)])):
                found |= by_handle[handle]
                break
    return found
