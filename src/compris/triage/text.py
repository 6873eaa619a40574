"""Text normalisation shared by the classifiers (same at training and at inference)."""

from __future__ import annotations

import re

__all__ = ["normalize"]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_NUMBER = re.compile(r"\d+")
_REPEAT = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case; URLs → ``http``, handles → ``@user``, digits → ``0``, ``soooo`` → ``soo``.

    Handles of the brand addressed (``@united``) carry no sentiment and would leak the airline into the
    model; numbers matter only as "a number" (a delay of 0 hours).
    """
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = _URL.sub(" http ", text)
    text = _MENTION.sub(" @user ", text)
    text = _NUMBER.sub("0", text)
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip().lower()
