"""Reading a customer's answer to a survey: a button's payload, or a text such as "5", "4/5", "⭐⭐⭐⭐".

Pure functions (no database). :func:`parse_rating` returns None for anything that is not clearly a rating, so that
the message stays an ordinary message on the case.
"""

from __future__ import annotations

import re

#: the number of points of each scale (CSAT: the top two points are "satisfied")
SCALES: dict[str, int] = {"stars5": 5, "faces5": 5}
PAYLOAD_PREFIX = "csat"

_DIGIT = re.compile(r"^\s*([1-5])\s*(?:/\s*5|sur\s*5|out\s+of\s+5)?\s*[.!]*\s*$", re.IGNORECASE)
_STARS = re.compile(r"^\s*([⭐★]\s*){1,5}\s*$")


def points(scale: str) -> int:
    return SCALES.get(scale, 5)


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


def parse_rating(text: str, scale: str = "stars5") -> int | None:
    """The rating a text gives on ``scale``, or None when the text is not a rating."""
    top = points(scale)
    match = _DIGIT.match(text or "")
    if match:
        value = int(match.group(1))
        return value if 1 <= value <= top else None
    if _STARS.match(text or ""):
        count = sum(1 for c in text if c in "⭐★")
        return count if 1 <= count <= top else None
    return None


def score(rating: int, scale: str = "stars5") -> int:
    """The rating on 0–100 (1 star = 0, 5 stars = 100)."""
    top = points(scale)
    return round((min(max(rating, 1), top) - 1) * 100 / (top - 1))


def satisfied(rating: int, scale: str = "stars5") -> bool:
    """CSAT counts the top two points of the scale as satisfied."""
    return rating >= points(scale) - 1
