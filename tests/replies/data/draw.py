"""Draw the rows of the guard's labelled set (labels are added by hand afterwards; see LABELLING.md).

    python tests/replies/data/draw.py [--data ../shared/data] > rows.jsonl

Strata (seeded, reproducible): ``uniform`` (a uniform sample per source), ``keywords:<group>`` (replies that
match broad, rule-independent word groups; the guard is never run here, which would bias recall upward),
``feedback`` (a sample of real replies mentioning feedback, reviews, ratings, shout-outs) and ``review_search``
(every real reply mentioning surveys, ratings, reviewing, or deleting/changing a post). Each row gets a ``split``
(dev about 40%, test about 60%) drawn per stratum with a fixed seed.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

csv.field_size_limit(10_000_000)

SEED = 20
UNIFORM = 110  # per source
PER_GROUP = 50  # per keyword group, half per source
FEEDBACK_CAP = 30
DEV_SHARE = 0.4

GROUPS: dict[str, re.Pattern[str]] = {
    "contact": re.compile(
        r"\b(call|phone|number|contact|reach|visit|website|site|link|team|department|desk|agent|office|store|"
        r"counter|e-?mail)\b",
        re.I,
    ),
    "time": re.compile(
        r"\b(hours?|open|opens|closed|am|pm|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|"
        r"weekdays?|business|tomorrow|morning|available)\b",
        re.I,
    ),
    "review": re.compile(
        r"\b(review|rate|rating|feedback|survey|post|tweet|comment|stars?|delete|remove|share|recommend)\b", re.I
    ),
    "data": re.compile(
        r"\b(dm|direct message|private|e-?mail|confirmation|booking|order|account|address|zip|ticket|record|"
        r"reference|number|name|details|info)\b",
        re.I,
    ),
}
# second round (drawn after the first 450 rows were labelled, because office-hours deflections, personal data
# requests and review requests were too rare there to measure recall): more specific but still rule-independent
# word groups — time-of-day/day words, and personal-data nouns whatever the channel they are asked in
SECOND: dict[str, re.Pattern[str]] = {
    "hours": re.compile(
        r"\b(hours|open(s|ed)?|closed?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|"
        r"weekends?|mon-fri|\d{1,2}(:\d\d)?\s?(am|pm)|\d{1,2}[:h]\d\d)\b",
        re.I,
    ),
    "personal": re.compile(
        r"\b(confirmation|booking ref\w*|reference|record locator|locator|order (number|#|no)|account (number|#)|"
        r"e-?mail address|phone number|telephone|contact number|address|zip|post ?code|date of birth|full name|"
        r"last name|card number|membership|rapid rewards|aadvantage|skymiles|executive club)\b",
        re.I,
    ),
}
SECOND_PER_GROUP = 40
# third round, same groups (office-hours deflections and public data requests were still few): more rows
THIRD_PER_GROUP = {"hours": 60, "personal": 40}
# every real reply mentioning reviews, ratings, surveys or changing/deleting a post (all of them, deduplicated)
REVIEW_SEARCH = re.compile(
    r"\b(survey|rate us|rating|review (us|our)|leave (us )?a (review|comment)|"
    r"(delete|remove|take down|edit|update)\w* (the|this|that|your) (tweet|post|review|comment)|"
    r"tell (your|all your) friends|spread the word|recommend us)",
    re.I,
)
FEEDBACK = re.compile(
    r"\b(reviews?|rate us|rating|feedback|survey|leave us|stars|recommend us|shout ?-?out|spread the word)\b", re.I
)
_HANDLE = re.compile(r"@\d+\b")


_LONG_NUMBER = re.compile(r"(?<![\w/])\+?[A-Za-z]{0,4}\d[\d .\-()/]{7,}\d(?!\w)")


def _anon(text: str) -> str:
    return re.sub(r"\s+", " ", _HANDLE.sub("@customer", text)).strip()


def _anon_customer(text: str) -> str:
    """A customer's text: handles, and phone/account numbers (9 digits or more) written in it, become X."""
    masked = _LONG_NUMBER.sub(lambda m: "X" if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)
    return _anon(masked)


def twcs(path: Path) -> Iterator[dict[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["tweet_id"]: row for row in rows}
    for row in rows:
        if row["inbound"] != "False":
            continue
        parent = by_id.get((row.get("in_response_to_tweet_id") or "").split(".")[0])
        customer = _anon_customer(parent["text"]) if parent is not None and parent["inbound"] == "True" else None
        yield {"origin": "twcs", "source_id": row["tweet_id"], "customer_text": customer, "reply": _anon(row["text"])}


_TURN = re.compile(r"<(cust|rep)__(.*?)__\1>", re.DOTALL)
_PLACEHOLDER = re.compile(r"__(?:cust|company|initials|num|airport_code|url|email|phone)__")


def _clean(turn: str) -> str:
    turn = _PLACEHOLDER.sub(lambda m: {"__cust__": "@customer", "__company__": "@airline"}.get(m.group(), "X"), turn)
    return _anon(turn)


def airlines(path: Path) -> Iterator[dict[str, str | None]]:
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            first = row.get("first_utterance", "").removeprefix("<cust__").removesuffix("__cust>")
            last: str | None = _anon_customer(_clean(first))
            k = 0
            for m in _TURN.finditer(row.get("context", "")):
                kind, body = m.group(1), _clean(m.group(2))
                if kind == "cust":
                    last = _anon_customer(body)
                else:
                    yield {
                        "origin": "airlines_raw",
                        "source_id": f"{row['first_tweet_id']}#{k}",
                        "customer_text": last,
                        "reply": body,
                    }
                    k += 1


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"@\w+|\*\w+$", "", text.lower())).strip()


def draw(data: Path) -> list[dict[str, object]]:
    pools = {
        "twcs": list(twcs(data / "customer_support_on_twitter" / "twcs_sample.csv")),
        "airlines_raw": list(airlines(data / "airline_support_dialogs" / "airlines_raw.csv.bz2")),
    }
    rng = random.Random(SEED)
    taken: set[str] = set()
    out: list[dict[str, object]] = []

    def take(row: dict[str, str | None], stratum: str) -> None:
        taken.add(_key(row["reply"] or ""))
        out.append({**row, "stratum": stratum})

    def fresh(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
        return [r for r in rows if _key(r["reply"] or "") not in taken and len(_key(r["reply"] or "")) > 3]

    # feedback first: all of them are wanted (capped), so they are not used up by the other strata
    fb = [r for name in pools for r in fresh(pools[name]) if FEEDBACK.search(r["reply"] or "")]
    for row in rng.sample(fb, min(FEEDBACK_CAP, len(fb))):
        if _key(row["reply"] or "") not in taken:
            take(row, "feedback")
    for rows in pools.values():
        for row in rng.sample(fresh(rows), UNIFORM):
            if _key(row["reply"] or "") not in taken:
                take(row, "uniform")
    for group, pattern in GROUPS.items():
        for rows in pools.values():
            cands = [r for r in fresh(rows) if pattern.search(r["reply"] or "")]
            for row in rng.sample(cands, PER_GROUP // 2):
                if _key(row["reply"] or "") not in taken:
                    take(row, f"keywords:{group}")
    for group, pattern in SECOND.items():
        for rows in pools.values():
            cands = [r for r in fresh(rows) if pattern.search(r["reply"] or "")]
            for row in rng.sample(cands, SECOND_PER_GROUP // 2):
                if _key(row["reply"] or "") not in taken:
                    take(row, f"keywords:{group}")
    for rows in pools.values():
        for row in fresh(rows):
            if REVIEW_SEARCH.search(row["reply"] or "") and _key(row["reply"] or "") not in taken:
                take(row, "review_search")
    for group, pattern in SECOND.items():
        for rows in pools.values():
            cands = [r for r in fresh(rows) if pattern.search(r["reply"] or "")]
            for row in rng.sample(cands, min(THIRD_PER_GROUP[group] // 2, len(cands))):
                if _key(row["reply"] or "") not in taken:
                    take(row, f"keywords:{group}")
    # split per stratum, seeded per stratum (adding a stratum leaves the others' splits alone)
    for stratum in sorted({str(r["stratum"]) for r in out}):
        rows_s = [r for r in out if r["stratum"] == stratum]
        order = list(range(len(rows_s)))
        random.Random(f"{SEED}:{stratum}").shuffle(order)
        n_dev = round(DEV_SHARE * len(rows_s))
        for rank, i in enumerate(order):
            rows_s[i]["split"] = "dev" if rank < n_dev else "test"
    for i, drawn in enumerate(out, 1):
        drawn["id"] = f"g{i:04d}"
    return out


def main(argv: list[str] | None = None, drawer: Callable[[Path], list[dict[str, object]]] | None = None,
         description: str | None = __doc__) -> int:
    """Write the rows ``drawer`` (default: :func:`draw`) draws from ``--data`` as JSON lines on stdout."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    for row in (drawer or draw)(args.data):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
