"""Reading a customer's answer to a survey: a button's payload, or a text such as "5", "4/5", "⭐⭐⭐⭐", "😍",
"très satisfait", "not happy at all".

Pure functions (no database). :func:`parse_rating` returns None for anything that is not clearly a rating, so that
the message stays an ordinary message on the case: mistaking an ordinary message for a rating is the costly error.

How a text is read (see ``docs/surveys.md``, "Answers"):

1. normalised: lower case, accents and punctuation dropped, elongations shortened ("suuuper!!!" → "super");
2. refused at once when it is long (over :data:`MAX_WORDS` words or :data:`MAX_CHARS` characters) or asks a
   question ("?");
3. read as a sequence of known pieces only: ratings (a number of the scale, "4/5", "4 sur 5", "4 out of 5",
   "4 étoiles", stars, faces, rating words and phrases in French and English), negations ("pas", "not") and
   intensifiers ("très", "very") that change the next rating word, and fillers (politeness, "je suis", "it was",
   "le service", "merci"...). **Any other word makes the whole text a non-answer**: "my flight is at 5", "I waited
   5 hours", "2 bags", "booking 45123", "still no refund" are left alone because "flight", "hours", "bags",
   "booking", "refund" are none of these;
4. the pieces must agree: an explicit rating (a number, stars, faces) wins over words within one point of it;
   words alone must all give the same rating; anything else is ambiguous (None).
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
