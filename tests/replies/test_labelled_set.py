"""The reply guard's hand-labelled set (``tests/replies/data/``, see ``LABELLING.md``): its shape, its split, and
floors for each measured rule on the **dev** split only (the test split and the written supplement are held out:
their figures are read from ``bench/guard.py --labelled``, never asserted here, so nobody tunes on them).

Dev figures measured on 2026-12-06 before any rule change of issue 20 (``bench/guard.py --labelled``):

| rule | dev positives | precision | recall |
|---|---:|---:|---:|
| office_hours | 4 | 1.00 (3/3) | 0.75 (3/4) |
| send_elsewhere | 34 | 1.00 (3/3) | 0.09 (3/34) |
| review_bargain | 0 | no alarm on 258 replies | — |
| asks_personal_data | 7 | 0.60 (3/5) | 0.43 (3/7) |
| no_acknowledgement | 97 | 0.87 (20/23) | 0.21 (20/97) |

After issue 20's rule changes (structure-based detection, the empathy check on any reported problem), re-measured
the same day: office_hours 1.00 / 1.00 (4/4), send_elsewhere 1.00 / 0.82 (28/34), asks_personal_data 1.00 / 1.00
(7/7), no_acknowledgement 0.91 / 0.42 (41/97). The floors sit about 0.1 below these (more for the tiny counts, so
that one more error on 4 or 7 positives is not read as a regression).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "replies" / "data"
BENCH = ROOT / "bench" / "guard.py"
LABELS = ("office_hours", "send_elsewhere", "review_bargain", "asks_personal_data", "empathy_needed", "acknowledges")
TARGETS = ("office_hours", "send_elsewhere", "review_bargain", "asks_personal_data")
FIELDS = {"id", "origin", "source_id", "stratum", "split", "customer_text", "reply", "labels", "note"}
#: sha256 of "id source_id split" lines of guard_labelled.jsonl: the split must not move silently
SPLIT_DIGEST = "4b8c4a1215e6c39f92e8a13dc1e74a082a272453b87017666855ae726b1beb64"


def _load(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@cache
def _real() -> tuple[dict[str, Any], ...]:
    return tuple(_load("guard_labelled.jsonl"))


@cache
def _train() -> tuple[dict[str, Any], ...]:
    return tuple(_load("guard_train.jsonl"))


@cache
def _supplement() -> tuple[dict[str, Any], ...]:
    return tuple(_load("guard_supplement_fr.jsonl"))


@cache
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_guard", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def test_the_real_set_has_at_least_400_labelled_replies_with_every_label() -> None:
    rows = _real()
    assert len(rows) >= 400
    assert {r["origin"] for r in rows} == {"twcs", "airlines_raw"}
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({(r["origin"], r["source_id"]) for r in rows}) == len(rows)
    for row in rows:
        assert set(row) == FIELDS, row["id"]
        assert set(row["labels"]) == set(LABELS), row["id"]
        assert all(v in (0, 1) for v in row["labels"].values()), row["id"]
        assert row["split"] in ("dev", "test"), row["id"]
        assert isinstance(row["reply"], str) and row["reply"].strip(), row["id"]
        assert row["customer_text"] is None or isinstance(row["customer_text"], str)
    # both sources, the uniform stratum and the keyword strata are there
    strata = Counter(r["stratum"] for r in rows)
    assert strata["uniform"] >= 200
    assert sum(v for k, v in strata.items() if k.startswith("keywords:")) >= 300


def test_customer_handles_are_anonymised() -> None:
    for row in (*_real(), *_train(), *_supplement()):
        for text in (row["reply"], row["customer_text"] or ""):
            assert not re.search(r"@\d+\b", text), row["id"]
            assert "__cust__" not in text and "__company__" not in text, row["id"]
        # phone/account numbers real customers wrote are masked (brands' own numbers in replies are kept; the
        # written supplement holds an invented card number on purpose)
        if row["origin"] != "written":
            assert not re.search(r"\d(?:[ .\-()/]?\d){8,}", row["customer_text"] or ""), row["id"]


def test_splits_are_disjoint_stable_and_about_40_60_per_stratum() -> None:
    rows = _real()
    dev = {r["id"] for r in rows if r["split"] == "dev"}
    test = {r["id"] for r in rows if r["split"] == "test"}
    supplement = {r["id"] for r in _supplement()}
    assert dev and test and not dev & test and not (dev | test) & supplement
    digest = hashlib.sha256("\n".join(f"{r['id']} {r['source_id']} {r['split']}" for r in rows).encode()).hexdigest()
    assert digest == SPLIT_DIGEST, "the split (or the rows) changed: say so in LABELLING.md and docs/replies.md"
    for stratum in {r["stratum"] for r in rows}:
        in_stratum = [r for r in rows if r["stratum"] == stratum]
        n_dev = sum(r["split"] == "dev" for r in in_stratum)
        assert n_dev == round(0.4 * len(in_stratum)), stratum


def _key(text: str) -> str:
    """draw.py's normalised text (the deduplication key)."""
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"@\w+|\*\w+$", "", text.lower())).strip()


def test_the_train_split_is_apart_from_dev_and_test() -> None:
    # guard_train.jsonl trains the learned component: real replies none of which is in guard_labelled.jsonl, and
    # written French/English rows; guard_labelled.jsonl and its split digest stay as they were
    rows = _train()
    assert len(rows) >= 300
    assert {r["split"] for r in rows} == {"train"}
    assert len({r["id"] for r in rows}) == len(rows)
    assert not {r["id"] for r in rows} & {r["id"] for r in (*_real(), *_supplement())}
    real = [r for r in rows if r["origin"] != "written"]
    written = [r for r in rows if r["origin"] == "written"]
    assert {r["origin"] for r in real} == {"twcs", "airlines_raw"} and len(real) >= 300
    assert len({(r["origin"], r["source_id"]) for r in real}) == len(real)
    assert not {_key(r["reply"]) for r in real} & {_key(r["reply"]) for r in _real()}
    for row in real:
        assert set(row) == FIELDS, row["id"]
    for row in written:
        assert set(row) == FIELDS | {"language"} and row["language"] in ("fr", "en"), row["id"]
    for row in rows:
        assert set(row["labels"]) == set(LABELS) and all(v in (0, 1) for v in row["labels"].values()), row["id"]
    assert sum(r["stratum"] == "train:uniform" for r in real) >= 50
    for rule in ("office_hours", "review_bargain"):
        for language in ("fr", "en"):
            assert sum(r["labels"][rule] for r in written if r["language"] == language) >= 8, (rule, language)


def test_the_written_supplement_covers_each_rule_both_ways_in_french_and_english() -> None:
    rows = _supplement()
    assert {r["origin"] for r in rows} == {"written"}
    assert {r["split"] for r in rows} == {"supplement"}
    assert {r["language"] for r in rows} == {"fr", "en"}
    assert sum(r["language"] == "fr" for r in rows) >= len(rows) // 2
    for row in rows:
        assert set(row["labels"]) == set(LABELS), row["id"]
    for rule in TARGETS:
        positives = sum(r["labels"][rule] for r in rows)
        hard_negatives = sum(r["stratum"] == f"written:{rule}:negative" for r in rows)
        assert positives >= 15 and hard_negatives >= 15, rule
    no_ack = sum(r["labels"]["empathy_needed"] and not r["labels"]["acknowledges"] for r in rows)
    assert no_ack >= 15


@cache
def _dev_scores() -> dict[str, Any]:
    bench = _bench()
    scores, _ = bench.score_labelled([r for r in _real() if r["split"] == "dev"])
    return {rule: scores[("dev", rule)] for rule in bench.MEASURED}


FLOORS = {
    # rule: (precision floor, recall floor) on the dev split
    "office_hours": (0.75, 0.75),
    "send_elsewhere": (0.9, 0.72),
    "asks_personal_data": (0.8, 0.85),
    "no_acknowledgement": (0.81, 0.32),
}


@pytest.mark.parametrize("rule", sorted(FLOORS))
def test_dev_split_floor(rule: str) -> None:
    score = _dev_scores()[rule]
    precision_floor, recall_floor = FLOORS[rule]
    assert score.tp + score.fn > 0
    assert score.recall >= recall_floor, (rule, score)
    assert score.precision is not None and score.precision >= precision_floor, (rule, score)


def test_review_bargain_raises_no_false_alarm_on_the_dev_split() -> None:
    # no real reply of these sets asks for a review (LABELLING.md): the rule's real-data figure is its silence
    score = _dev_scores()["review_bargain"]
    assert score.tp + score.fn == 0
    assert score.fp == 0


def test_wilson_interval() -> None:
    wilson = _bench().wilson
    low, high = wilson(3, 4)
    assert 0.30 < low < 0.31 and 0.95 < high < 0.96
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(10, 10)[1] == 1.0
