"""Building and measuring the clustering on public data (``python -m compris.listening.cluster_eval``).

- ``idf``: the stems' rarity table shipped in ``listening/data/idf.json.gz`` (from the customer-care tweets and
  utterances of ``../shared/data``, English and French).
- ``means``: the mean e5 embedding of ordinary traffic per language (``listening/data/e5_means.npz``), subtracted
  before cosines (it spreads e5's compressed similarities apart, see docs/listening.md).
- ``measure``: B-cubed and pairwise precision/recall of :func:`compris.listening.clusters.cluster_offline` on waves:
  many customers writing about one subject (the synthetic subjects of ``data/waves.json``, English and French,
  and groups of real labelled messages: the airline tweets' complaint reasons, the Bitext intents) mixed into
  ordinary traffic (customer tweets to brands, French tweets to an ISP). The ``tune`` part chose the thresholds;
  the ``validation`` part (other subjects, other intents, other real groups) only measures them.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["Stream", "bcubed", "build_idf", "main", "pairwise", "waves"]

DATA_DIR = Path(__file__).resolve().parent / "data"


# --- the public texts ------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    opener = bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        return list(csv.DictReader(fh))


def _ordinary(data: Path) -> dict[str, list[str]]:
    """Ordinary customer traffic per language: inbound tweets to brands (EN), tweets to a French ISP (FR, the
    brand's own tweets and retweets left out)."""
    en = [r["text"] for r in _rows(data / "customer_support_on_twitter" / "twcs_sample.csv") if r["inbound"] == "True"]
    fr = [r["text"] for r in _rows(data / "french_isp_tweets" / "free_tweets.csv")
          if r["author"] not in ("Freebox", "free", "Free_1337") and not r["text"].startswith("rt ")]
    return {"en": en, "fr": fr}


def build_idf(data: Path) -> dict[str, float]:
    """Stem → smooth inverse document frequency over the public customer-care texts (both languages)."""
    from compris.listening.signature import stems

    texts: list[str] = []
    ordinary = _ordinary(data)
    texts += ordinary["en"] + ordinary["fr"]
    texts += [r["text"] for r in _rows(data / "airline_sentiment" / "tweets.csv")]
    texts += [r["text"] for r in _rows(data / "complaints" / "complaints.csv")]
    texts += [r["text"] for r in _rows(data / "tweet_sentiment_french" / "tweets.csv")]
    texts += [r["utterance"] for r in _rows(data / "customer_service_intents" / "bitext_sample.csv")]
    df: Counter[str] = Counter()
    for t in texts:
        df.update(set(stems(t)))
    n = len(texts)
    return {s: round(math.log((1 + n) / (1 + c)) + 1.0, 3) for s, c in sorted(df.items()) if c >= 2}


def build_means(data: Path, per_language: int = 600) -> dict[str, list[float]]:
    """The mean e5 embedding of ordinary traffic, per language and over both ("*")."""
    import numpy as np

    from compris.listening.vectors import prepare
    from compris.triage.embeddings import embed

    rng = random.Random(7)
    out: dict[str, list[float]] = {}
    vectors = []
    for lang, texts in _ordinary(data).items():
        sample = rng.sample(texts, min(per_language, len(texts)))
        v = embed([prepare(t) for t in sample])
        vectors.append(v)
        out[lang] = [round(float(x), 6) for x in v.mean(axis=0)]
    out["*"] = [round(float(x), 6) for x in np.concatenate(vectors).mean(axis=0)]
    return out


# --- waves -----------------------------------------------------------------------------------------------------


@dataclass
class Stream:
    """Messages in arrival order: text, language, the subject they are about (``""``: ordinary traffic, each
    message its own subject) and the customer who wrote it."""

    texts: list[str]
    languages: list[str]
    subjects: list[str]
    authors: list[str]

    def truth(self) -> list[str]:
        return [s or f"_{i}" for i, s in enumerate(self.subjects)]


def _subjects(part: str) -> dict[str, dict[str, list[str]]]:
    doc = json.loads(resources.files("compris.listening").joinpath("data/waves.json").read_text("utf-8"))
    subjects: dict[str, dict[str, list[str]]] = doc[part]
    return subjects


def _real_groups(data: Path, part: str) -> dict[str, dict[str, list[str]]]:
    """Real labelled groups (English only): tune on half of the Bitext intents and two airline complaint
    reasons, validate on the other intents and reasons."""
    intents: dict[str, list[str]] = {}
    for r in _rows(data / "customer_service_intents" / "bitext_sample.csv"):
        intents.setdefault(r["intent"], []).append(r["utterance"])
    names = sorted(intents)
    chosen = names[0::2] if part == "tune" else names[1::2]
    groups = {f"bitext:{n}": {"en": intents[n]} for n in chosen}
    reasons: dict[str, list[str]] = {}
    for r in _rows(data / "airline_sentiment" / "tweets.csv"):
        if r["negativereason"] and float(r["negativereason_confidence"] or 0) >= 0.9:
            reasons.setdefault(r["negativereason"], []).append(r["text"])
    picked = ("Lost Luggage", "Cancelled Flight") if part == "tune" else ("Late Flight", "Damaged Luggage",
                                                                          "Flight Booking Problems")
    groups.update({f"airline:{n}": {"en": reasons[n]} for n in picked})
    return groups


def waves(data: Path, part: str, *, seed: int = 1, per_wave: int = 24, waves_count: int = 4,
          ordinary: int = 150, real: bool = False) -> Stream:
    """One stream: ``waves_count`` subjects of the part (synthetic FR+EN ones, or real English groups with
    ``real``), ``per_wave`` messages each from different customers, mixed at random into ``ordinary`` messages of
    ordinary traffic (half English, half French)."""
    rng = random.Random(seed)
    groups = _real_groups(data, part) if real else _subjects(part)
    names = rng.sample(sorted(groups), min(waves_count, len(groups)))
    items: list[tuple[str, str, str]] = []
    for name in names:
        pool = [(t, lang) for lang, texts in groups[name].items() for t in texts]
        for _ in range(per_wave):
            t, lang = rng.choice(pool)
            items.append((_vary(t, rng), lang, name))
    background = _ordinary(data)
    for lang in ("en", "fr"):
        for t in rng.sample(background[lang], ordinary // 2):
            items.append((t, lang, ""))
    rng.shuffle(items)
    return Stream([t for t, _, _ in items], [lang for _, lang, _ in items], [s for _, _, s in items],
                  [f"c{i}" for i in range(len(items))])


_OPENERS = ("", "", "", "@brand ", "Hello, ", "Bonjour, ", "Hi, ", "Seriously? ", "")
_CLOSERS = ("", "", "", " !!", " ??", " please help", " merci de répondre", " #fail", " 😡", " asap")


def _vary(text: str, rng: random.Random) -> str:
    """The same sentence as another customer would write it: a greeting, a closing, a different case."""
    out = rng.choice(_OPENERS) + text + rng.choice(_CLOSERS)
    if rng.random() < 0.2:
        out = out.lower()
    return out


# --- measures --------------------------------------------------------------------------------------------------


def bcubed(labels: Sequence[int], truth: Sequence[str]) -> tuple[float, float]:
    """B-cubed precision and recall; a label of -1 (in no cluster) is a cluster of its own."""
    pred = [lab if lab >= 0 else -(i + 2) for i, lab in enumerate(labels)]
    by_pred: dict[int, list[int]] = {}
    by_true: dict[str, list[int]] = {}
    for i, (p, t) in enumerate(zip(pred, truth, strict=True)):
        by_pred.setdefault(p, []).append(i)
        by_true.setdefault(t, []).append(i)
    precision = recall = 0.0
    for p, t in zip(pred, truth, strict=True):
        same_pred = by_pred[p]
        same_true = by_true[t]
        both = sum(1 for j in same_pred if truth[j] == t)
        precision += both / len(same_pred)
        recall += both / len(same_true)
    n = len(pred) or 1
    return precision / n, recall / n


def pairwise(labels: Sequence[int], truth: Sequence[str]) -> tuple[float, float]:
    """Pairwise precision and recall over the pairs put in one cluster / truly about one subject."""
    tp = fp = fn = 0
    n = len(labels)
    for i in range(n):
        for j in range(i + 1, n):
            same_pred = labels[i] >= 0 and labels[i] == labels[j]
            same_true = truth[i] == truth[j]
            tp += same_pred and same_true
            fp += same_pred and not same_true
            fn += same_true and not same_pred
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def measure(data: Path, part: str, *, embeddings: bool | None, seeds: Sequence[int] = (1, 2, 3),
            real: bool = False) -> dict[str, float]:
    """Mean B-cubed and pairwise precision/recall over streams of ``part``."""
    from compris.listening.clusters import cluster_offline

    totals: Counter[str] = Counter()
    started = time.perf_counter()
    count = 0
    for seed in seeds:
        stream = waves(data, part, seed=seed, real=real)
        labels = cluster_offline(stream.texts, stream.languages, authors=stream.authors, embeddings=embeddings)
        truth = stream.truth()
        bp, br = bcubed(labels, truth)
        pp, pr = pairwise(labels, truth)
        totals.update({"bcubed_precision": bp, "bcubed_recall": br, "pairwise_precision": pp, "pairwise_recall": pr})
        count += len(stream.texts)
    out = {k: round(v / len(seeds), 3) for k, v in totals.items()}
    out["messages"] = count
    out["ms_per_message"] = round((time.perf_counter() - started) * 1000 / max(count, 1), 2)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compris.listening.cluster_eval", description=__doc__)
    parser.add_argument("command", choices=("idf", "means", "measure"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--part", choices=("tune", "validation"), default="validation")
    parser.add_argument("--signature-only", action="store_true", help="measure without e5 embeddings")
    parser.add_argument("--real", action="store_true", help="real English groups instead of the synthetic waves")
    args = parser.parse_args(argv)
    if args.command == "idf":
        table = build_idf(args.data)
        (DATA_DIR / "idf.json.gz").write_bytes(gzip.compress(json.dumps(table, separators=(",", ":")).encode(),
                                                             mtime=0))
        print(f"{len(table)} stems")
    elif args.command == "means":
        import numpy as np

        means = build_means(args.data)
        arrays = {k: np.asarray(v, dtype=np.float32) for k, v in means.items()}
        np.savez_compressed(DATA_DIR / "e5_means.npz", **arrays)  # type: ignore[arg-type]
        print("means of", ", ".join(means))
    else:
        result = measure(args.data, args.part, embeddings=False if args.signature_only else None, real=args.real)
        json.dump(result, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
