"""The labelled public data sets (``/work/shared/data`` layout) and their fixed train/validation splits.

Splits are deterministic (seeded, stratified): the validation part is never trained on; the benchmark and
``train(...)`` report figures on it. Where a set ships its own split (the XLM-T French/English tweets),
that split is used.
"""

from __future__ import annotations

import bz2
import csv
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DATA_ENV",
    "SEED",
    "Example",
    "Split",
    "airline_dialog_topics",
    "airline_sentiment",
    "bitext_intents",
    "complaints",
    "default_data_dir",
    "tweet_sentiment",
]

DATA_ENV = "COMPRIS_TRIAGE_DATA"
SEED = 20240501
VALIDATION_SHARE = 0.2


def default_data_dir() -> Path:
    """``$COMPRIS_TRIAGE_DATA``, else ``../shared/data`` relative to the working directory."""
    return Path(os.environ.get(DATA_ENV) or Path.cwd() / ".." / "shared" / "data")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    weight: float = 1.0
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Split:
    name: str
    train: list[Example]
    validation: list[Example]
    licence: str


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    opener = bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _stratified(examples: Iterable[Example], seed: int = SEED) -> tuple[list[Example], list[Example]]:
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_label[ex.label].append(ex)
    rng = random.Random(seed)
    train: list[Example] = []
    validation: list[Example] = []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        cut = round(len(items) * VALIDATION_SHARE)
        validation.extend(items[:cut])
        train.extend(items[cut:])
    return train, validation


def airline_sentiment(data_dir: Path) -> Split:
    """US airline tweets (2015): negative/neutral/positive; weight = annotators' confidence."""
    rows = []
    for r in _read_csv(data_dir / "airline_sentiment" / "tweets.csv"):
        rows.append(
            Example(
                text=r["text"],
                label=r["airline_sentiment"],
                weight=float(r["airline_sentiment_confidence"] or 1.0),
                extra={"reason": r["negativereason"], "reason_confidence": r["negativereason_confidence"]},
            )
        )
    train, validation = _stratified(rows)
    return Split("airline_sentiment", train, validation, "CC BY-NC-SA 4.0 (non-commercial)")


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def tweet_sentiment(data_dir: Path, lang: str) -> Split:
    """XLM-T tweets, French (``lang='fr'``) or English (``'en'``), with the set's own train/val split."""
    folder = {"fr": "tweet_sentiment_french", "en": "tweet_sentiment_english"}[lang]
    train: list[Example] = []
    validation: list[Example] = []
    for r in _read_csv(data_dir / folder / "tweets.csv"):
        # the XLM-T files keep literal \\uXXXX escapes for non-ASCII characters
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), r["text"])
        ex = Example(text=text, label=r["sentiment"])
        (validation if r["split"] == "val" else train).append(ex)
    licence = "research use (DEFT 2017 restrictions)" if lang == "fr" else "research use (SemEval 2017)"
    return Split(f"tweet_sentiment_{lang}", train, validation, licence)


def complaints(data_dir: Path) -> Split:
    """Complaint (1) vs not (0), tweets to brands' support handles (Preotiuc-Pietro et al., 2019)."""
    rows = [
        Example(
            text=r["text"],
            label="complaint" if r["complaint"] == "1" else "not_complaint",
            extra={"domain": r["domain"]},
        )
        for r in _read_csv(data_dir / "complaints" / "complaints.csv")
    ]
    train, validation = _stratified(rows)
    return Split("complaints", train, validation, "none stated; research data")


# Bitext categories/intents → our topics and intents.
BITEXT_TOPIC = {
    "ORDER": "booking/payment",
    "INVOICE": "booking/payment",
    "PAYMENT": "booking/payment",
    "REFUND": "refund",
    "DELIVERY": "delivery",
    "SHIPPING_ADDRESS": "delivery",
    "CANCELLATION_FEE": "cancellation",
    "CONTACT": "customer service",
    "FEEDBACK": "customer service",
    "ACCOUNT": "other",
    "NEWSLETTER": "other",
}
BITEXT_TOPIC_BY_INTENT = {"cancel_order": "cancellation", "track_order": "delivery"}


def bitext_intents(data_dir: Path) -> Split:
    """Bitext synthetic customer-service utterances; label = our topic, extra = the original intent."""
    rows = []
    for r in _read_csv(data_dir / "customer_service_intents" / "bitext_sample.csv"):
        topic = BITEXT_TOPIC_BY_INTENT.get(r["intent"]) or BITEXT_TOPIC.get(r["category"], "other")
        rows.append(Example(text=r["utterance"], label=topic, extra={"intent": r["intent"]}))
    train, validation = _stratified(rows)
    return Split("bitext", train, validation, "CDLA-Sharing-1.0")


AIRLINE_REASON_TOPIC = {
    "Late Flight": "delay",
    "Cancelled Flight": "cancellation",
    "Lost Luggage": "baggage",
    "Damaged Luggage": "baggage",
    "Flight Booking Problems": "booking/payment",
    "Customer Service Issue": "customer service",
    "Flight Attendant Complaints": "staff",
    "Bad Flight": "product quality",
    "longlines": "customer service",
}

DIALOG_TOPIC = {
    "DELAY": "delay",
    "BAGGAGE": "baggage",
    "BOOKFLT": "booking/payment",
    "CHGFLT": "booking/payment",
    "CUSTSUPP": "customer service",
    "CHECKIN": "booking/payment",
    "FLIGHTSTAFF": "staff",
    "INFLIGHTENT": "product quality",
    "INFLIGHTFACS": "product quality",
    "TERMOPS": "other",
    "TERMFACS": "other",
    "REWARDS": "other",
    "NEWFEAT": "other",
}


def airline_dialog_topics(data_dir: Path) -> list[Example]:
    """The 491 labelled first customer messages of the ASAPP airline dialogs, mapped to our topics."""
    path = data_dir / "airline_support_dialogs" / "airlines_500onlyb.csv.bz2"
    out = []
    for r in _read_csv(path):
        text = r["first_utterance"].removeprefix("<cust__ __company__").removesuffix("__cust>").strip()
        text = text.replace("__num__", "0")
        out.append(Example(text=text, label=DIALOG_TOPIC.get(r["tag"], "other"), extra={"tag": r["tag"]}))
    return out
