"""Bench of the reply guard on real brand replies: findings per rule, samples, and speed.

    .venv/bin/python bench/guard.py [--data PATH] [--limit N] [--samples K] [--json OUT]
    .venv/bin/python bench/guard.py --labelled [--show-test] [--learned]

``--labelled``: precision and recall per rule against the hand-labelled set ``tests/replies/data/
guard_labelled.jsonl`` (real replies, splits ``dev`` and ``test``), its training split ``guard_train.jsonl``
(``train``) and the written supplement ``guard_supplement_fr.jsonl`` (split ``supplement``); see
``tests/replies/data/LABELLING.md``. Lists the misses and false alarms of the dev and train splits only; the test
split and the supplement are held out (``--show-test`` lists theirs too: not for whoever tunes the rules).
``--learned`` turns on the learned component (``GuardSettings.learned``, off by default), here and in the counts
on the real replies.

Data: ``customer_support_on_twitter/twcs_sample.csv`` (brand replies, each paired with the customer tweet it
answers) and ``airline_support_dialogs/*.csv.bz2`` (agent turns ``<rep__ ... __rep>`` of each thread, paired
with the customer turn before them). Path: ``--data``, else ``$COMPRIS_DATA``, else ``../shared/data``.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from compris.replies.guard import Finding, GuardContext, GuardSettings, check, rule_ids
from compris.replies.guard.learned import probabilities as learned_probabilities

csv.field_size_limit(10_000_000)


@dataclass(frozen=True)
class Reply:
    source: str
    text: str
    customer_text: str | None


def twcs(path: Path) -> Iterator[Reply]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["tweet_id"]: row for row in rows}
    for row in rows:
        if row["inbound"] != "False":
            continue
        parent_id = (row.get("in_response_to_tweet_id") or "").split(".")[0]
        parent = by_id.get(parent_id)
        customer = parent["text"] if parent is not None and parent["inbound"] == "True" else None
        yield Reply("twcs", row["text"], customer)


_TURN = re.compile(r"<(cust|rep)__(.*?)__\1>", re.DOTALL)
_PLACEHOLDER = re.compile(r"__(?:cust|company|initials|num|airport_code|url|email|phone)__")


def _clean(turn: str) -> str:
    turn = _PLACEHOLDER.sub(lambda m: {"__cust__": "@customer", "__company__": "@airline"}.get(m.group(), "X"), turn)
    return re.sub(r"\s+", " ", turn).strip()


def airline(path: Path) -> Iterator[Reply]:
    name = path.name.split(".")[0]
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            last_customer = _clean(row.get("first_utterance", "").removeprefix("<cust__").removesuffix("__cust>"))
            for m in _TURN.finditer(row.get("context", "")):
                kind, body = m.group(1), _clean(m.group(2))
                if kind == "cust":
                    last_customer = body
                else:
                    yield Reply(name, body, last_customer)


def load(data: Path, limit: int | None) -> list[Reply]:
    replies: list[Reply] = []
    sample = data / "customer_support_on_twitter" / "twcs_sample.csv"
    if sample.exists():
        replies.extend(twcs(sample))
    folder = data / "airline_support_dialogs"
    for path in sorted(folder.glob("*.csv.bz2")) if folder.exists() else []:
        for i, reply in enumerate(airline(path)):
            if limit is not None and i >= limit:
                break
            replies.append(reply)
    return replies


# --- labelled set ----------------------------------------------------------------------------------

LABELLED_DIR = Path(__file__).resolve().parent.parent / "tests" / "replies" / "data"
#: the rules measured on the labelled set; ``no_acknowledgement`` is derived from two labels
MEASURED = ("office_hours", "send_elsewhere", "review_bargain", "asks_personal_data", "no_acknowledgement")
#: ``train`` (guard_train.jsonl) trains the learned component: with ``--learned`` its figures are in-sample
SPLITS = ("dev", "train", "test", "supplement")


def load_labelled(folder: Path = LABELLED_DIR) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in ("guard_labelled.jsonl", "guard_train.jsonl", "guard_supplement_fr.jsonl"):
        path = folder / name
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def truth(labels: dict[str, int], rule: str) -> bool:
    if rule == "no_acknowledgement":
        return bool(labels["empathy_needed"]) and not labels["acknowledges"]
    return bool(labels[rule])


def labelled_context(row: dict[str, object]) -> GuardContext:
    """Public replies on X, on a channel staffed 24/7, answering ``customer_text``; no intent in this data."""
    customer = row.get("customer_text")
    return GuardContext(
        public=True,
        channel_247=True,
        network="x",
        customer_text=customer if isinstance(customer, str) else None,
        customer_intent=None,
        length_unit="x",
    )


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (sound for small counts, unlike the normal approximation)."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * ((p * (1 - p) / total + z * z / (4 * total * total)) ** 0.5) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score_labelled(
    rows: list[dict[str, object]], settings: GuardSettings | None = None
) -> tuple[dict[tuple[str, str], Score], list[tuple[str, str, dict[str, object]]]]:
    """(scores per (split, rule), errors as (kind "miss"/"false alarm", rule, row)). Splits: dev, test,
    supplement, "real" = dev + test, and "uniform" = the real rows of the uniform random stratum (free of the
    keyword strata's selection: the only figures that estimate precision on replies as they come)."""
    scores: dict[tuple[str, str], Score] = {}
    errors: list[tuple[str, str, dict[str, object]]] = []
    for row in rows:
        fired = {f.rule for f in check(str(row["reply"]), labelled_context(row), settings)}
        labels = row["labels"]
        assert isinstance(labels, dict)
        split = str(row["split"])
        for rule in MEASURED:
            want, got = truth(labels, rule), rule in fired
            keys = {(split, rule)}
            if split in ("dev", "test"):
                keys.add(("real", rule))
                if row.get("stratum") == "uniform":
                    keys.add(("uniform", rule))
            for key in keys:
                sc = scores.setdefault(key, Score())
                if want and got:
                    sc.tp += 1
                elif got:
                    sc.fp += 1
                elif want:
                    sc.fn += 1
                else:
                    sc.tn += 1
            if want != got:
                errors.append(("miss" if want else "false alarm", rule, row))
    return scores, errors


def _fmt(value: float | None, hits: int, total: int) -> str:
    if value is None:
        return f"{'—':>5s} {'':15s}"
    low, high = wilson(hits, total)
    return f"{value:5.2f} [{low:.2f}-{high:.2f}]"


def labelled_main(show_test: bool, learned: bool = False) -> int:
    rows = load_labelled()
    if not rows:
        print(f"no labelled data under {LABELLED_DIR}", file=sys.stderr)
        return 1
    sizes = Counter(str(r["split"]) for r in rows)
    print(f"labelled replies: {len(rows)} ({', '.join(f'{k} {v}' for k, v in sorted(sizes.items()))})")
    started = time.perf_counter()
    scores, errors = score_labelled(rows, GuardSettings(learned=learned))
    print(f"learned component: {'on' if learned else 'off'}")
    print(f"checked in {time.perf_counter() - started:.1f} s")
    print("precision and recall per rule (Wilson 95% interval); real = dev + test; uniform = its random stratum")
    print(f"{'rule':20s} {'split':10s} {'pos':>4s} {'TP':>4s} {'FP':>4s} {'FN':>4s}  {'precision':21s} {'recall':21s}")
    for rule in MEASURED:
        for split in (*SPLITS, "real", "uniform"):
            sc = scores.get((split, rule))
            if sc is None:
                continue
            print(
                f"{rule:20s} {split:10s} {sc.tp + sc.fn:4d} {sc.tp:4d} {sc.fp:4d} {sc.fn:4d}  "
                f"{_fmt(sc.precision, sc.tp, sc.tp + sc.fp):21s} {_fmt(sc.recall, sc.tp, sc.tp + sc.fn):21s}"
            )
    shown = ("dev", "train", "test", "supplement") if show_test else ("dev", "train")
    held = sum(1 for _, _, row in errors if row["split"] not in shown)
    print(f"\nerrors listed for: {', '.join(shown)} ({held} errors of held-out splits not shown)")
    for kind, rule, row in sorted(errors, key=lambda e: (e[1], e[0], str(e[2]["id"]))):
        if row["split"] not in shown:
            continue
        customer = str(row.get("customer_text") or "")[:160]
        print(f"  [{rule}] {kind} {row['id']} ({row['split']}, {row['stratum']})")
        print(f"      customer: {customer!r}\n      reply:    {str(row['reply'])[:240]!r}")
        if row.get("note"):
            print(f"      note:     {row['note']}")
    return 0


def timing(repeats: int = 300, learned: bool = False) -> tuple[float, float]:
    """Median and p95 milliseconds of one full check of a ~1,000-character draft with customer text."""
    draft = (
        "@customer Hi Jane, we're so sorry about the delay and the missed connection. "
        "I have checked your booking and rebooked you on the next flight, leaving at 6:40 pm. "
        "Your bags will follow automatically. If you need a hotel tonight, show this message at the "
        "transfer desk and our team will arrange it. Please don't share your booking reference here; "
        "send it to us by DM so we can add the meal voucher to it. We understand how frustrating "
        "this is, and we will look at why the first flight left late. Thanks for your patience. "
        "Nos équipes restent disponibles si besoin. "
    )
    draft = (draft * 2)[:1000]
    customer = "@airline worst trip ever, my flight was delayed 3 hours and I missed my connection!!"
    ctx = GuardContext(
        customer_text=customer,
        max_length=280,
        previous_texts=("Please send us a DM with your booking reference.",) * 3,
        agent_permissions=frozenset(),
    )
    settings = GuardSettings(learned=learned)
    check(draft, ctx, settings)  # warm-up (loads the language model)
    times = []
    for _ in range(repeats):
        learned_probabilities.cache_clear()  # (the learned scores are cached per text: each run computes them)
        start = time.perf_counter()
        check(draft, ctx, settings)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("COMPRIS_DATA") or str(Path.cwd() / ".." / "shared" / "data")
    parser.add_argument("--data", type=Path, default=Path(default))
    parser.add_argument("--limit", type=int, default=None, help="at most N replies per airline file")
    parser.add_argument("--samples", type=int, default=5, help="flagged replies shown per rule")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write every flagged reply here (JSON lines)")
    parser.add_argument("--permissions", action="store_true", help="check promises as an agent with none")
    parser.add_argument("--labelled", action="store_true", help="precision/recall on the hand-labelled set")
    parser.add_argument("--show-test", action="store_true", help="with --labelled: also list held-out errors")
    parser.add_argument("--learned", action="store_true", help="turn the learned component on (GuardSettings.learned)")
    args = parser.parse_args(argv)
    if args.labelled:
        return labelled_main(args.show_test, args.learned)

    replies = load(args.data, args.limit)
    if not replies:
        print(f"no data under {args.data}", file=sys.stderr)
        return 1
    counts: Counter[str] = Counter()
    per_source: Counter[str] = Counter(r.source for r in replies)
    flagged_by_rule: dict[str, list[tuple[Reply, Finding]]] = {rid: [] for rid in rule_ids()}
    unflagged: list[Reply] = []
    any_flag = 0
    started = time.perf_counter()
    out = args.json.open("w", encoding="utf-8") if args.json else None
    settings = GuardSettings(learned=args.learned)
    for reply in replies:
        ctx = GuardContext(
            customer_text=reply.customer_text,
            max_length=280 if reply.source == "twcs" else None,
            length_unit="x",  # all these replies are on X: counted as X counts them (URLs 23, leading mentions free)
            agent_permissions=frozenset() if args.permissions else None,
        )
        findings = check(reply.text, ctx, settings)
        if not findings:
            unflagged.append(reply)
            continue
        any_flag += 1
        for rid in {f.rule for f in findings}:
            counts[rid] += 1
        for f in findings:
            flagged_by_rule[f.rule].append((reply, f))
        if out is not None:
            out.write(
                json.dumps(
                    {
                        "source": reply.source,
                        "text": reply.text,
                        "customer_text": reply.customer_text,
                        "findings": [x.to_dict(with_fix=False) for x in findings],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    elapsed = time.perf_counter() - started
    if out is not None:
        out.close()

    total = len(replies)
    print(f"replies checked: {total} ({', '.join(f'{k} {v}' for k, v in sorted(per_source.items()))})")
    print(
        f"checked in {elapsed:.1f} s ({total / elapsed:.0f} replies/s); flagged by any rule: {any_flag} "
        f"({100 * any_flag / total:.1f}%)"
    )
    print("\nreplies flagged, per rule:")
    for rid in rule_ids():
        print(f"  {rid:22s} {counts[rid]:6d}  ({100 * counts[rid] / total:.2f}%)")
    rng = random.Random(args.seed)
    for rid in rule_ids():
        hits = flagged_by_rule[rid]
        if not hits:
            continue
        print(f"\n== {rid}: sample of {min(args.samples, len(hits))} of {len(hits)} findings")
        for reply, f in rng.sample(hits, min(args.samples, len(hits))):
            span = reply.text[f.span[0] : f.span[1]] if f.span else ""
            print(f"  - [{reply.source}] {reply.text[:220]!r}" + (f"\n      span: {span!r}" if span else ""))
    print("\n== unflagged sample")
    for reply in rng.sample(unflagged, min(args.samples, len(unflagged))):
        print(f"  - [{reply.source}] {reply.text[:220]!r}")
    median, p95 = timing(learned=args.learned)
    print(f"\nspeed, 1,000-character draft, all rules: median {median:.2f} ms, p95 {p95:.2f} ms (target < 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
