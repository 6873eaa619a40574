"""Train and cross-validate the reply guard's learned component (``compris.replies.guard.learned``).

    OMP_NUM_THREADS=1 .venv/bin/python bench/guard_learned.py            # cross-validate, print, no file written
    OMP_NUM_THREADS=1 .venv/bin/python bench/guard_learned.py --write    # ... and write guard/learned.npz

Training rows: the ``dev`` split of ``tests/replies/data/guard_labelled.jsonl`` and every row of
``guard_train.jsonl`` (real replies and written French/English rows). The ``test`` split and the written
supplement are never read here (the test rows are dropped on loading, unprinted). Per rule: a logistic
regression (scikit-learn, liblinear, balanced class weights) on the features of ``learned.features``.
Cross-validation: stratified 5-fold, repeated over 3 seeds; for each rule the regularisation ``C`` and the
threshold are the pair that maximise the F1 of "pattern OR model ≥ threshold" on the out-of-fold predictions of
the real rows (the pattern predictions come from the guard with ``learned=False``). The figures printed are
out-of-fold: the model never saw the row it predicts; the thresholds are chosen on the same predictions (so the
figures are a little optimistic), and the patterns were written on the dev rows (so they are in-sample there).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from guard import labelled_context  # bench/guard.py: the labelled rows' context
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

from compris.replies.guard import GuardSettings, check
from compris.replies.guard.learned import LEARNED_RULES, MODEL_PATH, features, save_model
from compris.replies.guard.text import sentences

DATA = Path(__file__).resolve().parent.parent / "tests" / "replies" / "data"
SEEDS = (11, 12, 13)
C_GRID = (3.0, 10.0, 30.0, 100.0)
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(2, 20))
MIN_DF = 2
TARGET_PRECISION = 0.9
AUGMENT = True
#: the threshold of a rule where cross-validation found no gain: the model never fires for it
OFF = 2.0
#: with ``--veto``: a pattern finding is dropped when the model's probability is under the veto (0: never dropped)
VETOES = (0.0, 0.05, 0.1, 0.2, 0.3)


def combine(pattern: np.ndarray, probability: np.ndarray, threshold: float, veto: float) -> np.ndarray:
    """The guard's decision: a pattern finding the model does not veto, or the model alone above its threshold."""
    return np.asarray((pattern & (probability >= veto)) | (probability >= threshold))


def training_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with (DATA / "guard_labelled.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["split"] == "dev":  # the test split is held out: dropped unread
                rows.append(row)
    with (DATA / "guard_train.jsonl").open(encoding="utf-8") as handle:
        rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def pattern_predictions(rows: Sequence[dict[str, Any]]) -> np.ndarray:
    """(rows, rules) 0/1: what the patterns alone find (the bench's context for labelled rows)."""
    off = GuardSettings(learned=False)
    out = np.zeros((len(rows), len(LEARNED_RULES)), dtype=bool)
    for i, row in enumerate(rows):
        fired = {f.rule for f in check(str(row["reply"]), labelled_context(row), off)}
        out[i] = [rule in fired for rule in LEARNED_RULES]
    return out


def design(feats: Sequence[set[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """Binary features, each block (words ``w:``, characters ``c:``) scaled by 1/sqrt(its size in the text), as
    ``LearnedModel.margins`` does."""
    indptr, indices, values = [0], [], []
    for fs in feats:
        cells: dict[int, float] = {}
        for prefix in ("w:", "c:"):
            block = [f for f in fs if f.startswith(prefix)]
            for f in block:
                if f in vocabulary:
                    cells[vocabulary[f]] = 1.0 / np.sqrt(len(block))
        for i in sorted(cells):
            indices.append(i)
            values.append(cells[i])
        indptr.append(len(indices))
    return sparse.csr_matrix((values, indices, indptr), shape=(len(feats), len(vocabulary)), dtype=np.float64)


def vocabulary_of(feats: Sequence[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for fs in feats:
        for f in fs:
            counts[f] = counts.get(f, 0) + 1
    return {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_DF))}


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=0)
    model.fit(x, y)
    return model


def sentence_features(rows: Sequence[dict[str, Any]]) -> list[list[set[str]]]:
    """Per row, the features of each of its sentences of 3 words or more (for replies of 2 sentences or more)."""
    out: list[list[set[str]]] = []
    for row in rows:
        text = str(row["reply"])
        spans = sentences(text)
        pieces = [text[a:b] for a, b in spans] if len(spans) >= 2 else []
        out.append([features(p) for p in pieces if len(p.split()) >= 3])
    return out


def training_set(
    feats: Sequence[set[str]], pieces: Sequence[list[set[str]]], labels: np.ndarray, idx: np.ndarray, j: int
) -> tuple[list[set[str]], np.ndarray]:
    """The rows ``idx`` for rule column ``j``, with ``AUGMENT``: plus each sentence of their replies labelled 0 as a
    negative of its own (a reply that does not do what the rule says has no sentence that does; not for
    asks_personal_data, where a "DM us" in another sentence is what makes a data request right)."""
    xs = [feats[i] for i in idx]
    ys = [int(labels[i, j]) for i in idx]
    if AUGMENT and LEARNED_RULES[j] != "asks_personal_data":
        for i in idx:
            if not labels[i, j]:
                xs.extend(pieces[i])
                ys.extend([0] * len(pieces[i]))
    return xs, np.array(ys)


def out_of_fold(
    feats: list[set[str]], pieces: list[list[set[str]]], labels: np.ndarray
) -> dict[tuple[int, float], np.ndarray]:
    """(rule column, C) -> (seeds, rows) out-of-fold probabilities."""
    out = {(j, c): np.zeros((len(SEEDS), len(feats))) for j in range(len(LEARNED_RULES)) for c in C_GRID}
    for s, seed in enumerate(SEEDS):
        # stratified on "any target positive" so that each fold gets its share of the few positives
        strata = labels.any(axis=1).astype(int) + 2 * labels[:, 0] + 4 * labels[:, 2]
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(np.zeros(len(feats)), strata)
        for train_idx, test_idx in folds:
            vocab = vocabulary_of([feats[i] for i in train_idx])
            x_test = design([feats[i] for i in test_idx], vocab)
            for j in range(len(LEARNED_RULES)):
                xs, y = training_set(feats, pieces, labels, train_idx, j)
                x_train = design(xs, vocab)
                for c in C_GRID:
                    if y.sum() == 0:
                        continue
                    out[(j, c)][s, test_idx] = fit(x_train, y, c).predict_proba(x_test)[:, 1]
    return out


def prf(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int, float, float, float]:
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return tp, fp, fn, p, r, f1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write the model to {MODEL_PATH}")
    parser.add_argument("--veto", action="store_true", help="also let the model drop pattern findings (off: see docs)")
    args = parser.parse_args(argv)

    rows = training_rows()
    real = np.array([r["origin"] != "written" for r in rows])
    labels = np.array([[r["labels"][rule] for rule in LEARNED_RULES] for r in rows], dtype=bool)
    feats = [features(str(r["reply"])) for r in rows]
    patterns = pattern_predictions(rows)
    print(f"training rows: {len(rows)} ({int(real.sum())} real: dev + train, {int((~real).sum())} written)")
    pieces = sentence_features(rows)
    oof = out_of_fold(feats, pieces, labels.astype(int))

    chosen: dict[str, tuple[float, float, float]] = {}
    header = (
        f"{'rule':20s} {'rows':8s} {'pos':>4s}  {'patterns P/R':14s} {'model P/R':14s} {'pattern OR model P/R':22s}"
    )
    print("\nout-of-fold (5-fold x 3 seeds, mean over seeds); real = dev + train real rows")
    print(header)
    for j, rule in enumerate(LEARNED_RULES):
        truth = labels[:, j]
        best: tuple[tuple[bool, float, float], float, float, float] | None = None  # (score, C, threshold, veto)
        for c in C_GRID:
            for t in THRESHOLDS:
                for v in VETOES if args.veto else (0.0,):
                    if v >= t:
                        continue
                    scores = [prf(combine(patterns[:, j], oof[(j, c)][s], t, v), truth) for s in range(len(SEEDS))]
                    precision = float(np.nanmean([x[3] for x in scores]))
                    # the target: the best recall at precision >= 0.9, else the best F1 (F1 breaks ties,
                    # then the lower veto; thresholds come in increasing order and a tie keeps the first)
                    recall = float(np.mean([x[4] for x in scores]))
                    f1 = float(np.mean([x[5] for x in scores]))
                    reached = precision >= TARGET_PRECISION
                    score = (reached, recall if reached else f1, f1)
                    if best is None or score > best[0] or (score == best[0] and v <= best[3]):
                        best = (score, c, t, v)
        assert best is not None
        _, c, t, v = best
        alone = prf(patterns[:, j], truth)
        reached_alone = alone[3] >= TARGET_PRECISION
        if best[0] <= (reached_alone, alone[4] if reached_alone else alone[5], alone[5]):
            t = OFF  # the model adds nothing the patterns do not find: the rule is left to them
        chosen[rule] = (c, t, v)
        for name, mask in (("real", real), ("written", ~real)):
            if not truth[mask].any():
                continue
            pat = prf(patterns[mask, j], truth[mask])
            mod = [prf(oof[(j, c)][s][mask] >= t, truth[mask]) for s in range(len(SEEDS))]
            com = [prf(combine(patterns[mask, j], oof[(j, c)][s][mask], t, v), truth[mask]) for s in range(len(SEEDS))]
            if t == OFF:
                mod = [prf(oof[(j, c)][s][mask] >= best[2], truth[mask]) for s in range(len(SEEDS))]

            def mean_pr(items: list[tuple[int, int, int, float, float, float]]) -> str:
                return f"{np.nanmean([i[3] for i in items]):.2f}/{np.nanmean([i[4] for i in items]):.2f}"

            fps = np.mean([i[1] for i in com])
            print(
                f"{rule:20s} {name:8s} {int(truth[mask].sum()):4d}  {pat[3]:.2f}/{pat[4]:.2f}      "
                f"{mean_pr(mod):14s} {mean_pr(com)} (FP {fps:.1f})   C={c} t={t} veto={v}"
            )

    vocab = vocabulary_of(feats)
    weights = np.zeros((len(vocab), len(LEARNED_RULES)))
    bias = np.zeros(len(LEARNED_RULES))
    for j, rule in enumerate(LEARNED_RULES):
        xs, y = training_set(feats, pieces, labels, np.arange(len(rows)), j)
        model = fit(design(xs, vocab), y, chosen[rule][0])
        weights[:, j] = model.coef_[0]
        bias[j] = model.intercept_[0]
    keep = np.abs(weights).max(axis=1) >= 1e-3
    vocabulary = [f for f, i in sorted(vocab.items(), key=lambda kv: kv[1]) if keep[i]]
    print(f"\nfinal model: {len(vocabulary)} features kept of {len(vocab)} (|weight| >= 1e-3)")
    if args.write:
        meta = {
            "trained_on": "guard_labelled.jsonl dev + guard_train.jsonl",
            "rows": len(rows),
            "C": {rule: chosen[rule][0] for rule in LEARNED_RULES},
            "min_df": MIN_DF,
            "command": "bench/guard_learned.py --write",
        }
        thresholds = {rule: chosen[rule][1] for rule in LEARNED_RULES}
        vetoes = {rule: chosen[rule][2] for rule in LEARNED_RULES}
        save_model(MODEL_PATH, vocabulary, weights[keep], bias, thresholds, vetoes, meta)
        print(f"written {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
