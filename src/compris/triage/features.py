"""Sparse TF-IDF features (word 1-2-grams + character 2-5-grams within words) and linear heads.

Inference re-implements the TF-IDF arithmetic in numpy so that the shipped model is plain data
(vocabularies in JSON, weights in ``.npz``): no pickle, and one message costs ~0.1 ms instead of the
~1 ms of scikit-learn's per-call overhead. Training uses scikit-learn with the same analysers, so both
sides produce identical vectors (``tests/triage/test_features.py`` checks it).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

from compris.triage.text import normalize

__all__ = ["Featurizer", "LinearHead", "char_ngrams", "fold_accents", "word_ngrams"]

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[!?]|[^\w\s]", re.UNICODE)

Matrix: TypeAlias = Any  # scipy.sparse.csr_matrix (scipy ships no type information)


def word_ngrams(norm: str) -> list[str]:
    """Word unigrams and bigrams (tokens: words, ``!``, ``?``, emoji and other symbols)."""
    tokens = _TOKEN.findall(norm)
    grams = list(tokens)
    grams.extend(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return grams


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and base != ch:
            table[cp] = base
    table.update({ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"})
    return table


_FOLD = _fold_table()


def fold_accents(norm: str) -> str:
    """Latin letters without their accents (``é`` → ``e``, ``œ`` → ``oe``): tweets often omit accents."""
    return norm.translate(_FOLD)


def char_ngrams(norm: str, low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams inside word boundaries, like scikit-learn's ``char_wb``."""
    grams: list[str] = []
    for word in norm.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if n > size:
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


@dataclass
class _Block:
    vocab: dict[str, int]
    idf: npt.NDArray[np.float32]

    def row(self, grams: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        vocab = self.vocab
        counts = Counter(grams)
        keys = [g for g in counts if g in vocab]
        if not keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.array([vocab[g] for g in keys], dtype=np.int64)
        tf = np.array([counts[g] for g in keys], dtype=np.float32)
        vals: npt.NDArray[np.float32] = ((np.log(tf) + 1.0) * self.idf[idx]).astype(np.float32, copy=False)
        vals /= np.sqrt(np.dot(vals, vals))
        return idx, vals


class Featurizer:
    """Two TF-IDF blocks (words, characters), each L2-normalised, concatenated."""

    def __init__(self, word: _Block, char: _Block, *, fold: bool = False) -> None:
        self.word = word
        self.char = char
        #: character n-grams are taken on the text without accents (word n-grams keep them)
        self.fold = fold
        self.n_features = len(word.vocab) + len(char.vocab)

    def _chars(self, norm: str) -> list[str]:
        return char_ngrams(fold_accents(norm) if self.fold else norm)

    def row(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Feature indices and values of one text."""
        norm = normalize(text)
        wi, wv = self.word.row(word_ngrams(norm))
        ci, cv = self.char.row(self._chars(norm))
        return np.concatenate([wi, ci + len(self.word.vocab)]), np.concatenate([wv, cv])

    def transform(self, texts: Sequence[str]) -> Matrix:
        """CSR matrix, one row per text."""
        indptr = [0]
        all_idx: list[npt.NDArray[np.int64]] = []
        all_val: list[npt.NDArray[np.float32]] = []
        for t in texts:
            idx, val = self.row(t)
            all_idx.append(idx)
            all_val.append(val)
            indptr.append(indptr[-1] + len(idx))
        indices = np.concatenate(all_idx) if all_idx else np.zeros(0, dtype=np.int64)
        values = np.concatenate(all_val) if all_val else np.zeros(0, dtype=np.float32)
        return sparse.csr_matrix((values, indices, np.asarray(indptr)), shape=(len(texts), self.n_features))

    # --- training ---------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        *,
        word_min_df: int = 2,
        char_min_df: int = 3,
        max_char: int = 120_000,
        max_word: int = 60_000,
        fold: bool = False,
    ) -> Featurizer:
        """Learn vocabularies and IDF (smooth IDF, as scikit-learn) from ``texts``."""
        norms = [normalize(t) for t in texts]
        word = _fit_block([word_ngrams(n) for n in norms], word_min_df, max_word)
        char = _fit_block([char_ngrams(fold_accents(n) if fold else n) for n in norms], char_min_df, max_char)
        return cls(word, char, fold=fold)

    # --- storage ----------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        vocab = {
            "word": sorted(self.word.vocab, key=self.word.vocab.__getitem__),
            "char": sorted(self.char.vocab, key=self.char.vocab.__getitem__),
            "options": {"fold_accents": self.fold},
        }
        with gzip.open(directory / "vocabulary.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(vocab, fh, ensure_ascii=False, separators=(",", ":"))
        np.savez_compressed(directory / "idf.npz", word=self.word.idf, char=self.char.idf)

    @classmethod
    def load(cls, directory: Path) -> Featurizer:
        with gzip.open(directory / "vocabulary.json.gz", "rt", encoding="utf-8") as fh:
            vocab = json.load(fh)
        with np.load(directory / "idf.npz") as idf:
            word = _Block({g: i for i, g in enumerate(vocab["word"])}, idf["word"].astype(np.float32))
            char = _Block({g: i for i, g in enumerate(vocab["char"])}, idf["char"].astype(np.float32))
        return cls(word, char, fold=bool(vocab.get("options", {}).get("fold_accents", False)))


def _fit_block(docs: list[list[str]], min_df: int, max_features: int) -> _Block:
    df: Counter[str] = Counter()
    for grams in docs:
        df.update(set(grams))
    kept = [(g, c) for g, c in df.items() if c >= min_df]
    kept.sort(key=lambda gc: (-gc[1], gc[0]))
    kept = kept[:max_features]
    kept.sort(key=lambda gc: gc[0])
    n = len(docs)
    vocab = {g: i for i, (g, _) in enumerate(kept)}
    idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
    return _Block(vocab, idf)


class LinearHead:
    """A linear classifier over features: softmax for several classes, sigmoid for two."""

    def __init__(self, classes: Sequence[str], weights: npt.NDArray[np.float32], bias: npt.NDArray[np.float32]) -> None:
        # weights: (n_features, n_outputs); n_outputs == 1 for a binary head (score of classes[1])
        self.classes = list(classes)
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)

    def proba_row(self, idx: npt.NDArray[np.int64], val: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        scores = val @ self.weights[idx] + self.bias if len(idx) else self.bias.copy()
        row: npt.NDArray[np.float64] = self.to_proba(np.asarray(scores, dtype=np.float64)[None, :])[0]
        return row

    def proba(self, matrix: Matrix) -> npt.NDArray[np.float64]:
        scores = np.asarray(matrix @ self.weights, dtype=np.float64) + self.bias
        return self.to_proba(scores)

    def to_proba(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if scores.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        out: npt.NDArray[np.float64] = np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)
        return out

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, weights=self.weights.astype(np.float16), bias=self.bias, classes=np.array(self.classes)
        )

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        with np.load(path, allow_pickle=False) as data:
            return cls([str(c) for c in data["classes"]], data["weights"].astype(np.float32), data["bias"])
