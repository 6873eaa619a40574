from __future__ import annotations

import json
from pathlib import Path

import pytest

from compris.triage import load_models, triage
from compris.triage.training import load_corrections, train


def test_train_on_tiny_data_with_corrections(tiny_data: Path, tmp_path: Path) -> None:
    corrections = [
        ("Le wifi à bord ne marche jamais", "topic", "product quality"),
        ("Le wifi à bord ne marche jamais", "sentiment", "negative"),
        ("Où est ma valise ???", "intent", "complaint"),
        ("ok", "language", "fr"),
        ("whatever", "colour", "blue"),  # rejected: unknown field
        ("something", "sentiment", "furious"),  # rejected: unknown label
    ]
    out = tmp_path / "model"
    report = train(tiny_data, out, corrections, accurate=False)
    assert report.corrections_used == 4
    assert len(report.corrections_rejected) == 2
    assert "airline_sentiment.accuracy" in report.after
    assert "airline_sentiment.accuracy" in report.before  # the shipped model, on the same validation data
    assert "corrections.agreement" in report.after
    json.dumps(report.to_dict())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == 1 and manifest["corrections"] == 4
    assert not list(out.rglob("*.pkl"))

    models = load_models(out)
    result = triage("Le wifi à bord ne marche jamais", models=models)
    assert result.topic == "product quality"
    assert result.sentiment == "negative"
    assert triage("ok", models=models).language == "fr"
    assert triage("Où est ma valise ???", models=models).intent == "complaint"


def test_load_corrections(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('{"text": "a", "field": "sentiment", "label": "negative"}\n\n', encoding="utf-8")
    assert load_corrections(f) == [("a", "sentiment", "negative")]
    f.write_text('{"text": "a", "field": "sentiment"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="label"):
        load_corrections(f)


def test_retrained_directory_is_reloaded(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    train(tiny_data, out, [], accurate=False)
    first = load_models(out)
    assert load_models(out) is first
    train(tiny_data, out, [("wifi cassé", "topic", "product quality")], accurate=False)
    second = load_models(out)
    assert second is not first
    assert second.override("wifi cassé", "topic") == "product quality"


def test_retraining_keeps_the_fine_tuned_encoder_in_force(tiny_data: Path, tmp_path: Path, zero_tuned: Path) -> None:
    """`train` does not fine-tune the encoder (that is `finetune`): it carries the baseline's file over."""
    baseline = tmp_path / "baseline"
    train(tiny_data, baseline, [], accurate=False)
    (baseline / "tuned_e5.npz").write_bytes(zero_tuned.read_bytes())
    out = tmp_path / "workspace"
    report = train(tiny_data, out, [("vol annulé", "sentiment", "negative")], baseline=baseline, accurate=False)
    assert (out / "tuned_e5.npz").read_bytes() == zero_tuned.read_bytes()
    assert "complaints.macro_f1" in report.after  # evaluated with the accurate path the directory now has
    # retraining in place leaves it alone
    train(tiny_data, baseline, [], baseline=baseline, accurate=False)
    assert (baseline / "tuned_e5.npz").is_file()
