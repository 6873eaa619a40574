"""The cheap signature of a message for clustering: a sparse, L2-normalised bag of stems and stem pairs.

About 30 µs a message in pure Python, no model: the text is normalised like triage's (URLs, handles, digits),
accent-folded, split into words; French and English function words are dropped; each word is cut to its first
:data:`STEM` letters (a crude stemmer that works for both languages: *livraison*/*livré* → ``livr``-ish,
*delivered*/*delivery* → ``delive``); stems and pairs of neighbouring stems are weighted by their rarity in the
public customer-care corpus (:data:`IDF`, built by :mod:`compris.listening.cluster_eval`) and, where triage found a
topic, the topic is one more term (``@topic:delivery``): it is what links a French and an English message about the
same subject when e5 embeddings are not installed.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from compris.triage.text import normalize

__all__ = ["STEM", "Signature", "combine", "cosine", "mean", "signature", "stems"]

Signature = dict[str, float]

#: letters kept of each word (the crude stemmer)
STEM = 6
#: weight of the triage topic term, relative to a word of average rarity
TOPIC_WEIGHT = 2.2
#: terms kept in a cluster's mean signature
MAX_TERMS = 48

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "from", "with",
        "without", "about", "as", "into", "onto", "over", "under", "up", "down", "out", "off", "is", "are",
        "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "have", "has", "had", "having",
        "will", "would", "shall", "should", "can", "could", "may", "might", "must", "i", "me", "my", "mine",
        "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "it",
        "its", "they", "them", "their", "theirs", "this", "that", "these", "those", "there", "here", "what",
        "which", "who", "whom", "whose", "when", "where", "why", "how", "all", "any", "some", "no", "not",
        "nor", "so", "than", "too", "very", "just", "also", "still", "yet", "again", "already", "ever", "even",
        "only", "own", "same", "such", "then", "now", "get", "got", "gets", "im", "ive", "dont", "didnt",
        "doesnt", "cant", "wont", "isnt", "arent", "wasnt", "its", "thats", "youre", "theyre", "ill", "id", "s",
        "t", "d", "m", "re", "ve", "ll", "http", "user", "amp", "rt", "pls", "please", "thanks", "thank", "hi",
        "hello", "hey", "dear", "ok", "okay", "yes", "oh", "lol", "via", "guys", "one", "two", "0", "00", "000",
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "mais", "donc", "or", "ni",
        "car", "a", "au", "aux", "en", "dans", "sur", "sous", "par", "pour", "avec", "sans", "chez", "vers",
        "ce", "cet", "cette", "ces", "c", "ca", "cela", "ceci", "je", "j", "me", "m", "moi", "mon", "ma", "mes",
        "tu", "te", "t", "toi", "ton", "ta", "tes", "il", "elle", "on", "nous", "vous", "ils", "elles", "se",
        "s", "son", "sa", "ses", "leur", "leurs", "notre", "nos", "votre", "vos", "lui", "y", "ne", "n", "pas",
        "plus", "qui", "que", "qu", "quoi", "dont", "est", "es", "suis", "sont", "etait", "ete", "etre",
        "avoir", "ai", "as", "avons", "avez", "ont", "avait", "fait", "faire", "fais", "tout", "tous", "toute",
        "toutes", "tres", "bien", "aussi", "encore", "deja", "si", "oui", "non", "merci", "bonjour", "bonsoir",
        "svp", "stp", "cordialement", "salut", "alors", "comme", "quand", "meme", "ici", "la", "voila",
    ]
)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def stems(text: str) -> list[str]:
    """The content stems of ``text``, in order (function words dropped, accents folded, words cut)."""
    words = _WORD.findall(_fold(normalize(text)))
    return [w[:STEM] for w in words if w not in _STOP and len(w) > 1 and not w.isdigit()]


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """Stem → inverse document frequency, from the public customer-care tweets (EN and FR); unknown stems get the
    largest weight (they are rare)."""
    try:
        raw = resources.files("compris.listening").joinpath("data/idf.json.gz").read_bytes()
    except FileNotFoundError:  # pragma: no cover - the file ships with the package
        return {}, 1.0
    table: dict[str, float] = json.loads(gzip.decompress(raw))
    top = max(table.values()) if table else 1.0
    return table, top


def _weight(term: str) -> float:
    table, top = _idf()
    return table.get(term, top)


def signature(text: str, *, topic: str | None = None) -> Signature:
    """The signature of one message (empty when it has no content word)."""
    words = stems(text)
    if not words:
        return {}
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    for a, b in itertools.pairwise(words):
        if a != b:
            pair = f"{a} {b}"
            counts[pair] = counts.get(pair, 0) + 1
    vec: Signature = {}
    for term, n in counts.items():
        parts = term.split(" ")
        weight = sum(_weight(p) for p in parts) / len(parts)
        vec[term] = (1.0 + math.log(n)) * weight
    if topic and topic != "other":
        vec[f"@topic:{topic}"] = TOPIC_WEIGHT * _idf()[1] * 0.5
    return _unit(vec)


def _unit(vec: Mapping[str, float]) -> Signature:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0:
        return {}
    return {k: v / norm for k, v in vec.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two signatures (both L2-normalised, or a mean of normalised ones)."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    nb = math.sqrt(sum(v * v for v in b.values()))
    na = math.sqrt(sum(v * v for v in a.values()))
    return dot / (na * nb) if na and nb else 0.0


def mean(current: Mapping[str, float], count: int, added: Iterable[Mapping[str, float]]) -> Signature:
    """The running mean of ``count`` signatures (``current``) with ``added`` ones, cut to its
    :data:`MAX_TERMS` heaviest terms."""
    total = {k: v * count for k, v in current.items()}
    n = count
    for sig in added:
        n += 1
        for k, v in sig.items():
            total[k] = total.get(k, 0.0) + v
    if n == 0:
        return {}
    top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
    return {k: round(v / n, 5) for k, v in top}


def combine(a: Mapping[str, float], a_count: int, b: Mapping[str, float], b_count: int) -> Signature:
    """The mean of two means (of ``a_count`` and ``b_count`` signatures), cut to :data:`MAX_TERMS` terms."""
    n = a_count + b_count
    if n == 0:
        return {}
    total = {k: v * a_count for k, v in a.items()}
    for k, v in b.items():
        total[k] = total.get(k, 0.0) + v * b_count
    top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
    return {k: round(v / n, 5) for k, v in top}
