"""Text helpers for the guard: sentences, graphemes, normalisation, similarity."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

import regex  # type: ignore[import-untyped]

from compris.kit.textlength import X_URL_LENGTH, grapheme_count, grapheme_offset, x_length, x_offset

__all__ = ["X_URL_LENGTH", "grapheme_count", "grapheme_offset", "x_length", "x_offset"]

# Emoji: pictographs (with their modifiers/ZWJ sequences, taken whole by \X) and flags.
_GRAPHEME = regex.compile(r"\X")
_EMOJI_CLUSTER = regex.compile(r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator})")
_MENTION = re.compile(r"(?<![\w@])@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
# A sentence ends at . ! ? … followed by space and a character that is not a lower-case letter,
# or at a line break. "9 a.m. and 5 p.m." stays one sentence.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?![a-zà-ÿ])|\n+")
_LETTER = re.compile(r"[^\W\d_]")


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Spans of emoji grapheme clusters, contiguous runs merged."""
    spans: list[tuple[int, int]] = []
    for m in _GRAPHEME.finditer(text):
        if _EMOJI_CLUSTER.search(m.group()):
            start, end = int(m.start()), int(m.end())
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans


def strip_emoji(text: str) -> str:
    out = text
    for start, end in reversed(emoji_spans(text)):
        out = out[:start] + out[end:]
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences (and lines) of ``text``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def strip_handles(text: str) -> str:
    """Text without @mentions and URLs (for language detection and comparison)."""
    return _URL.sub(" ", _MENTION.sub(" ", text))


def letter_count(text: str) -> int:
    return len(_LETTER.findall(text))


def normalise(text: str) -> str:
    """Case-folded, accent-folded text without mentions, URLs and punctuation."""
    text = strip_handles(text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text).strip()


def similarity(a: str, b: str, threshold: float = 0.0) -> float:
    """Similarity of two normalised texts in [0, 1]; cheap upper bounds first."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


def mask(value: str) -> str:
    """Hide a personal value, keeping its last characters when long enough."""
    kept = 4 if len(value) >= 10 else 2 if len(value) >= 6 else 0
    return "•" * 4 + (value[-kept:] if kept else "")


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and you your to of is are we for with this that it in on at be our can will have please "
        "thanks my i not was what how"
    ),
    "fr": _words(
        "le la les et vous votre vos nous notre de des du un une est pour avec ce cette dans sur pas "
        "je merci mon ma qui que au aux"
    ),
    "es": _words("el la los las y que de en por para con una es no mi su se lo muy pero"),
    "de": _words("der die das und ist nicht ich sie mit für auf ein eine zu den dem von wir"),
    "it": _words("il lo gli e che di per con una non sono mi è della del alla questo"),
    "pt": _words("o os e que de em para com uma não no na do da meu minha muito"),
    "nl": _words("de het een en ik je niet van met voor op is dat zijn wij"),
}
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)


def stopword_language(text: str) -> str | None:
    """A rough vote by function words: the language with at least two hits and twice the runner-up."""
    words = [w.casefold() for w in _WORDS.findall(text)]
    scores = sorted(
        ((sum(1 for w in words if w in stops), lang) for lang, stops in _STOPWORDS.items()),
        reverse=True,
    )
    (best, lang), (second, _) = scores[0], scores[1]
    if best >= 2 and best >= 2 * second:
        return lang
    return None


def reliable_language(code: str, confidence: float, text: str) -> str | None:
    """The detector's answer when the function words do not contradict it (short social posts fool it)."""
    if code == "unknown":
        return None
    vote = stopword_language(text)
    if vote is not None:
        return code if vote == code else None
    return code if confidence >= 0.9 else None
