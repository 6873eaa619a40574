"""An experiment for issue 20 (fast-path quality), kept to be reproducible: static word vectors taken from the
fine-tuned encoder (the accurate path), as features of the fast path beside TF-IDF. It did not help (see
docs/triage.md, "What we tried"); nothing of it ships.

    .venv/bin/python bench/triage_static_vectors.py [--data ../shared/data] [--scale 1.0] \
        [--cache .cache/static_words.npz]

1. Vocabulary: the words (the fast path's tokens of normalised text) seen at least twice in the training portions
   of the airline, French, English and complaint sets and in the unlabelled domain texts (``distill``).
2. One vector per word: the fine-tuned encoder's mean-pooled output for the word alone (the "model2vec" idea at
   word level; about 100 s for 12,900 words on 2 cores), cached in ``--cache``.
3. A text's vector: the SIF-weighted mean of its words' vectors (weight a / (a + p(word)), a = 1e-3, the first
   principal component removed), unit length.
4. 4-fold cross-validation inside the training portions only (never the validation splits): logistic regression on
   TF-IDF alone (the shipped recipe's features), on the static vectors alone, and on both (the vectors x
   ``--scale`` beside the sparse features). Prints accuracy and macro-F1 per set.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from compris.triage import data as ds
from compris.triage import distill
from compris.triage.features import _TOKEN, Featurizer
from compris.triage.models import default_model_dir, load_models
from compris.triage.text import normalize
from compris.triage.training import _accuracy, _macro_f1

SIF_A = 1e-3
FOLDS = 4


def word_vectors(data: Path, cache: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    if cache.is_file():
        z = np.load(cache, allow_pickle=False)
        return [str(w) for w in z["words"]], z["vecs"].astype(np.float64), z["freq"]
    texts: list[str] = []
    for split in (ds.airline_sentiment(data), ds.tweet_sentiment(data, "fr"), ds.tweet_sentiment(data, "en"),
                  ds.complaints(data)):
        texts += [e.text for e in split.train]
    for more in distill.unlabelled_texts(data).values():
        texts += more
    counts: collections.Counter[str] = collections.Counter()
    for t in texts:
        counts.update(set(_TOKEN.findall(normalize(t))))
    words = [w for w, c in counts.most_common() if c >= 2]
    started = time.monotonic()
    vecs = load_models(default_model_dir()).tuned().pooled(words, batch_size=256)
    print(f"{len(words)} words encoded in {time.monotonic() - started:.0f} s")
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vecs=vecs, freq=freq, words=np.array(words))
    return words, vecs.astype(np.float64), freq


class Static:
    def __init__(self, words: list[str], vecs: np.ndarray, freq: np.ndarray) -> None:
        centred = vecs - vecs.mean(0)
        first = np.linalg.svd(centred, full_matrices=False)[2][0]
        self.vectors = centred - np.outer(centred @ first, first)
        self.weights = SIF_A / (SIF_A + freq / freq.sum())
        self.index = {w: i for i, w in enumerate(words)}

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.vectors.shape[1]))
        for row, text in enumerate(texts):
            ids = [self.index[w] for w in _TOKEN.findall(normalize(text)) if w in self.index]
            if ids:
                out[row] = (self.vectors[ids] * self.weights[ids, None]).sum(0) / self.weights[ids].sum()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.asarray(out / norms)


def fold_scores(train: dict[str, tuple[list[str], list[str], list[float]]],
                test: dict[str, tuple[list[str], list[str]]], static: Static,
                scale: float) -> dict[tuple[str, str], tuple[float, float]]:
    from sklearn.linear_model import LogisticRegression

    texts = [t for s in train.values() for t in s[0]]
    labels = np.array([lab for s in train.values() for lab in s[1]])
    weights = np.array([w for s in train.values() for w in s[2]])
    featurizer = Featurizer.fit(texts, max_word=40_000, max_char=80_000)
    balanced = set(labels) == {"complaint", "not_complaint"}

    def matrix(mode: str, xs: list[str]) -> Any:
        if mode == "tfidf":
            return featurizer.transform(xs)
        if mode == "static":
            return static(xs) * scale
        return sparse.hstack([featurizer.transform(xs), sparse.csr_matrix(static(xs) * scale)]).tocsr()

    out = {}
    for mode in ("tfidf", "static", "both"):
        model = LogisticRegression(C=10.0 if mode == "static" else 3.0, max_iter=3000,
                                   class_weight="balanced" if balanced else None)
        model.fit(matrix(mode, texts), labels, sample_weight=weights)
        for name, (xs, gold) in test.items():
            pred = [str(p) for p in model.predict(matrix(mode, xs))]
            out[(mode, name)] = (_accuracy(gold, pred), _macro_f1(gold, pred))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ds.default_data_dir())
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--cache", type=Path, default=Path(".cache/static_words.npz"))
    args = parser.parse_args()
    static = Static(*word_vectors(args.data, args.cache))
    rng = np.random.default_rng(0)
    sentiment = {"airline": ds.airline_sentiment(args.data).train, "french": ds.tweet_sentiment(args.data, "fr").train,
                 "english": ds.tweet_sentiment(args.data, "en").train}
    complaints = ds.complaints(args.data).train
    scores: dict[tuple[str, str], list[tuple[float, float]]] = collections.defaultdict(list)
    folds = {k: rng.permutation(len(v)) for k, v in sentiment.items()}
    for f in range(FOLDS):
        train, test = {}, {}
        for name, rows in sentiment.items():
            held = set(folds[name][f::FOLDS].tolist())
            kept = [e for i, e in enumerate(rows) if i not in held]
            out = [e for i, e in enumerate(rows) if i in held]
            train[name] = ([e.text for e in kept], [e.label for e in kept], [e.weight for e in kept])
            test[name] = ([e.text for e in out], [e.label for e in out])
        for key, value in fold_scores(train, test, static, args.scale).items():
            scores[key].append(value)
    order = rng.permutation(len(complaints))
    for f in range(FOLDS):
        held = set(order[f::FOLDS].tolist())
        kept = [e for i, e in enumerate(complaints) if i not in held]
        out = [e for i, e in enumerate(complaints) if i in held]
        result = fold_scores({"complaints": ([e.text for e in kept], [e.label for e in kept], [1.0] * len(kept))},
                             {"complaints": ([e.text for e in out], [e.label for e in out])}, static, args.scale)
        for key, value in result.items():
            scores[key].append(value)
    for (mode, name), values in sorted(scores.items()):
        accuracy, f1 = np.mean(values, axis=0)
        print(f"{mode:7s} {name:10s} accuracy {accuracy:.3f}  macro-F1 {f1:.3f}")


if __name__ == "__main__":
    main()
