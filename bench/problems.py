"""Are failure reports ever buried? Measured on the labelled set ``tests/triage/data/problems_validation.csv``
(held-out airline tweets labelled by their annotators + French tweets to an ISP labelled by hand; see its README).

    PYTHONPATH=src .venv/bin/python bench/problems.py [--csv PATH] [--misses N] [--json out.json]

On the triage's *fast path* (``triage(text, accurate=False)``), per language and overall:

* recall: failure reports that come out as a complaint (or an urgent request) with negative sentiment;
* false-positive rate: messages that report no failure (positive/neutral airline tweets, French questions and
  requests) that come out that way all the same;
* the same two figures for ``reported_problem`` alone (the detector, before the triage decides).

The set was built after the rules were written and is never used to write or tune them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from compris.triage.core import triage
from compris.triage.models import load_models
from compris.triage.problems import reported_problem

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "tests" / "triage" / "data" / "problems_validation.csv"


def surfaced(intent: str, sentiment: str, urgency: str) -> bool:
    """Not buried: a complaint, or a request marked urgent, with negative sentiment."""
    return sentiment == "negative" and (intent == "complaint" or (intent == "request" and urgency == "high"))


def measure(rows: list[dict[str, str]], misses: int = 0) -> dict[str, Any]:
    models = load_models()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    shown: list[str] = []
    for row in rows:
        result = triage(row["text"], models=models, accurate=False)
        hit = surfaced(result.intent, result.sentiment, result.urgency)
        detected = bool(reported_problem(row["text"]))
        failure = row["failure"] == "1"
        for group in (row["lang"], "all"):
            c = counts[group]
            c["pos" if failure else "neg"] += 1
            if failure:
                c["tp"] += hit
                c["det_tp"] += detected
            else:
                c["fp"] += hit
                c["det_fp"] += detected
        if misses and len(shown) < misses and failure != hit:
            kind = "missed" if failure else "false alarm"
            shown.append(
                f"{kind:11} {result.intent}/{result.sentiment}/{result.urgency} "
                f"{reported_problem(row['text'])} {row['text'][:110]}"
            )
    out: dict[str, Any] = {}
    for group, c in sorted(counts.items()):
        out[group] = {
            "failure_reports": c["pos"],
            "others": c["neg"],
            "recall": round(c["tp"] / c["pos"], 3) if c["pos"] else None,
            "false_positive_rate": round(c["fp"] / c["neg"], 3) if c["neg"] else None,
            "detector_recall": round(c["det_tp"] / c["pos"], 3) if c["pos"] else None,
            "detector_false_positive_rate": round(c["det_fp"] / c["neg"], 3) if c["neg"] else None,
        }
    out["_misses"] = shown
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--misses", type=int, default=0, help="print up to N misses and false alarms")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with open(args.csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    figures = measure(rows, args.misses)
    print(f"{'set':5} {'reports':>7} {'others':>6} {'recall':>7} {'FP rate':>8} {'det. recall':>11} {'det. FP':>8}")
    for group, f in figures.items():
        if group.startswith("_"):
            continue
        print(
            f"{group:5} {f['failure_reports']:7} {f['others']:6} {f['recall'] or 0:7.3f} "
            f"{f['false_positive_rate'] or 0:8.3f} {f['detector_recall'] or 0:11.3f} "
            f"{f['detector_false_positive_rate'] or 0:8.3f}"
        )
    for line in figures["_misses"]:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
