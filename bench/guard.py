"""Bench of the reply guard on real brand replies: findings per rule, samples, and speed.

    .venv/bin/python bench/guard.py [--data PATH] [--limit N] [--samples K] [--json OUT]

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

from compris.replies.guard import Finding, GuardContext, check, rule_ids

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


def timing(repeats: int = 300) -> tuple[float, float]:
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
    check(draft, ctx)  # warm-up (loads the language model)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check(draft, ctx)
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
    args = parser.parse_args(argv)

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
    for reply in replies:
        ctx = GuardContext(
            customer_text=reply.customer_text,
            max_length=280 if reply.source == "twcs" else None,
            length_unit="x",  # all these replies are on X: counted as X counts them (URLs 23, leading mentions free)
            agent_permissions=frozenset() if args.permissions else None,
        )
        findings = check(reply.text, ctx)
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
    median, p95 = timing()
    print(f"\nspeed, 1,000-character draft, all rules: median {median:.2f} ms, p95 {p95:.2f} ms (target < 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
