"""The guard's learned component: one small logistic regression per rule, beside the patterns (issue 20).

Features of a reply (``features``): accent-folded, case-folded words (1- and 2-grams) and character 3- to
5-grams of the reply, with @mentions dropped, links turned into ``urlx`` and digits into ``0``; binary, scaled to
unit length per block (words, characters). The weights are trained by ``bench/guard_learned.py`` (scikit-learn,
seeded) on the ``dev`` and ``train`` rows of the labelled set only, never on ``test`` or the written supplement,
and shipped in ``learned.npz`` next to this file; here they are read with plain numpy (nothing downloaded, nothing
trained at run time).

A rule's learned finding (``learned_span``) fires when the patterns found nothing and the reply's probability
reaches the rule's threshold; when the probability is under the rule's veto (``vetoed``), the patterns' findings
are dropped (both chosen by cross-validation on dev + train, stored in the file; the veto is 0, i.e. off, where
it did not help). Its span is the
sentence that weighs most towards the rule, so the finding points at a passage like the pattern findings do.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("learned.npz")
#: the rules the model knows (the order of the weight matrix's columns)
LEARNED_RULES = ("office_hours", "send_elsewhere", "review_bargain", "asks_personal_data")

_MENTION = re.compile(r"(?<![\w@])@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+|\b\w+\.(?:com|co|net|org|fr)/\S*", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NON_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """The text the features are read from: no mentions, links as ``urlx``, digits as 0, folded, words only."""
    text = _URL.sub(" urlx ", _MENTION.sub(" ", text))
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", _DIGIT.sub("0", text)).replace("_", " ").strip()


def features(text: str) -> set[str]:
    """Word 1-2-grams (``w:``) and character 3-5-grams (``c:``) of the folded text."""
    folded = fold(text)
    words = folded.split()
    out = {f"w:{w}" for w in words}
    out.update(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    padded = f" {folded} "
    for n in (3, 4, 5):
        out.update(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return out


@dataclass(frozen=True)
class LearnedModel:
    """Vocabulary, weights (one column per rule), biases and per-rule thresholds."""

    index: dict[str, int]
    weights: np.ndarray  # (features, rules), float32
    bias: np.ndarray  # (rules,)
    thresholds: dict[str, float]
    vetoes: dict[str, float]
    meta: dict[str, object]

    def margins(self, feats: set[str]) -> np.ndarray:
        """Raw scores per rule (before the sigmoid): each block (words, characters) scaled to unit length."""
        total = self.bias.copy()
        for prefix in ("w:", "c:"):
            block = [f for f in feats if f.startswith(prefix)]
            rows = [self.index[f] for f in block if f in self.index]
            if rows:
                total += self.weights[rows].sum(axis=0) / math.sqrt(len(block))
        return total

    def probabilities(self, text: str) -> dict[str, float]:
        margins = self.margins(features(text))
        return {rule: 1.0 / (1.0 + math.exp(-float(m))) for rule, m in zip(LEARNED_RULES, margins, strict=True)}

    def best_span(self, text: str, spans: list[tuple[int, int]], rule: str) -> tuple[int, int] | None:
        """The sentence whose features weigh most towards ``rule`` (unscaled sum of its known features)."""
        column = LEARNED_RULES.index(rule)
        best: tuple[float, tuple[int, int]] | None = None
        for start, end in spans:
            rows = [self.index[f] for f in features(text[start:end]) if f in self.index]
            if not rows:
                continue
            score = float(self.weights[rows, column].sum())
            if best is None or score > best[0]:
                best = (score, (start, end))
        return best[1] if best is not None else None


@cache
def load_model(path: Path = MODEL_PATH) -> LearnedModel | None:
    """The shipped model, or None when the file is missing (the patterns then work alone)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        vocabulary = bytes(data["vocabulary"]).decode("utf-8").split("\n")
        meta = json.loads(bytes(data["meta"]).decode("utf-8"))
        weights = np.asarray(data["weights"], dtype=np.float32)
        bias = np.asarray(data["bias"], dtype=np.float64)
    if tuple(meta["rules"]) != LEARNED_RULES or weights.shape != (len(vocabulary), len(LEARNED_RULES)):
        raise ValueError(f"{path}: not a model of {LEARNED_RULES}")
    index = {feature: i for i, feature in enumerate(vocabulary)}
    thresholds = {k: float(v) for k, v in meta["thresholds"].items()}
    vetoes = {k: float(v) for k, v in meta.get("vetoes", {}).items()}
    return LearnedModel(index, weights, bias, thresholds, vetoes, meta)


def save_model(
    path: Path,
    vocabulary: list[str],
    weights: np.ndarray,
    bias: np.ndarray,
    thresholds: dict[str, float],
    vetoes: dict[str, float],
    meta: dict[str, object],
) -> None:
    """Write a model file (used by the training script)."""
    if any("\n" in f for f in vocabulary):
        raise ValueError("a feature holds a line break")
    full = {**meta, "rules": list(LEARNED_RULES), "thresholds": thresholds, "vetoes": vetoes}
    np.savez_compressed(
        path,
        vocabulary=np.frombuffer("\n".join(vocabulary).encode("utf-8"), dtype=np.uint8),
        weights=np.asarray(weights, dtype=np.float32),
        bias=np.asarray(bias, dtype=np.float64),
        meta=np.frombuffer(json.dumps(full, sort_keys=True).encode("utf-8"), dtype=np.uint8),
    )


@lru_cache(maxsize=64)
def probabilities(text: str) -> dict[str, float] | None:
    """Each rule's probability for ``text`` (cached: the four rules read the same draft), None without a model."""
    model = load_model()
    return model.probabilities(text) if model is not None else None


def learned_span(text: str, spans: list[tuple[int, int]], rule: str) -> tuple[int, int] | None:
    """Where the model finds ``rule`` in ``text`` when its probability reaches the rule's threshold, else None.

    ``(0, 0)`` is never returned: without a sentence to point at, the whole text is the span."""
    model = load_model()
    found = probabilities(text)
    if model is None or found is None or found[rule] < model.thresholds[rule]:
        return None
    return model.best_span(text, spans, rule) or (0, len(text))


def vetoed(text: str, rule: str) -> bool:
    """The model is confident enough that ``rule`` does not apply to overrule the patterns (probability under the
    rule's veto, 0 for the rules where cross-validation found no veto worth having)."""
    model = load_model()
    found = probabilities(text)
    if model is None or found is None:
        return False
    return found[rule] < model.vetoes.get(rule, 0.0)
