"""Reading a customer's answer to a survey: a button's payload (here), or a text such as "5", "4/5", "⭐⭐⭐⭐", "😍",
"très satisfait" — read by :mod:`compris.triage.rating` (how a text is read: its docstring and ``docs/surveys.md``,
"Answers"), re-exported here for the surveys' code.
"""

from __future__ import annotations

# the reading of a rating in text lives with the triage (below the capabilities that use it: the triage itself
# recognises a satisfied answer, issue 20); surveys add the buttons' payloads
from compris.triage.rating import (
    EMPTY_STARS,
    FILLED_STARS,
    MAX_CHARS,
    MAX_WORDS,
    SCALES,
    parse_rating,
    points,
    satisfied,
    score,
)

__all__ = [
    "EMPTY_STARS",
    "FILLED_STARS",
    "MAX_CHARS",
    "MAX_WORDS",
    "PAYLOAD_PREFIX",
    "SCALES",
    "parse_payload",
    "parse_rating",
    "payload",
    "points",
    "satisfied",
    "score",
]

PAYLOAD_PREFIX = "csat"


def payload(survey_id: int, rating: int) -> str:
    """The payload of the button for ``rating`` on survey ``survey_id`` (comes back in the customer's answer)."""
    return f"{PAYLOAD_PREFIX}:{int(survey_id)}:{int(rating)}"


def parse_payload(value: str | None) -> tuple[int, int] | None:
    """``(survey_id, rating)`` of a button payload, or None when it is not one of ours."""
    if not value:
        return None
    parts = str(value).split(":")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1]), int(parts[2])
