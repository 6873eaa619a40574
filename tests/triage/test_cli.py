from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compris.triage.cli import app

runner = CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_classify_jsonl_stdin_with_bad_rows() -> None:
    data = (
        "\n".join(
            [
                json.dumps({"text": "Mon vol est annulé, remboursez-moi !", "followers": 48000, "promoted": True}),
                "{not json",
                json.dumps({"followers": 10}),
                json.dumps({"text": "thanks, great crew", "verified": "yes", "reshares": "12"}),
                json.dumps({"text": "hello", "followers": "many"}),
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["classify"], input=data)
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert len(rows) == 5
    assert rows[0]["line"] == 1 and rows[0]["language"] == "fr" and "promoted post" in rows[0]["reasons"]
    assert rows[1]["line"] == 2 and "error" in rows[1]
    assert rows[2] == {"line": 3, "error": "missing or empty 'text'"}
    assert rows[3]["line"] == 4 and rows[3]["reach"] == {
        "followers": None,
        "verified": True,
        "promoted": False,
        "reshares": 12,
    }
    assert rows[4]["line"] == 5 and "followers" in str(rows[4]["error"])
    for row in (rows[0], rows[3]):
        for key in ("sentiment", "intent", "topic", "urgency", "personal_data", "priority", "reasons"):
            assert key in row


def test_classify_csv_file(tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text(
        "text,followers,verified,promoted,reshares\n"
        '"my bag is lost, booking ref X7K9QB",120000,true,false,3\n'
        "bad row,abc,true,false,0\n"
        '"Merci beaucoup !",,,,\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["classify", str(f)])
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert [r["line"] for r in rows] == [2, 3, 4]
    assert rows[0]["personal_data"] == [{"kind": "record_locator", "start": 28, "end": 34, "value": "X7K9QB"}]
    assert "120,000 followers" in rows[0]["reasons"]
    assert "error" in rows[1]
    assert rows[2]["sentiment"] == "positive"


def test_classify_csv_without_text_column() -> None:
    result = runner.invoke(app, ["classify", "--format", "csv"], input="message\nhello\n")
    assert result.exit_code == 0
    assert _lines(result.stdout) == [{"line": 1, "error": "CSV header must have a 'text' column"}]


def test_train_command(tiny_data: Path, tmp_path: Path) -> None:
    corrections = tmp_path / "c.jsonl"
    corrections.write_text(json.dumps({"text": "wifi cassé", "field": "topic", "label": "product quality"}) + "\n")
    out = tmp_path / "m"
    result = runner.invoke(
        app, ["train", "--data", str(tiny_data), "--out", str(out), "--corrections", str(corrections), "--fast-only"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["corrections_used"] == 1
    assert (out / "manifest.json").exists()


def test_train_command_missing_data(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0


def _said(output: str) -> str:
    """The error text without the box drawing and line wrapping of the terminal rendering."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def test_finetune_command_refuses_bad_input(tiny_data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["finetune", "--data", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is not a directory" in _said(result.output)
    result = runner.invoke(app, ["finetune", "--data", str(tiny_data), "--out", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "is not a model directory" in _said(result.output) or "needs PyTorch" in _said(result.output)


def test_finetune_command_end_to_end(tiny_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "m"
    assert runner.invoke(app, ["train", "--data", str(tiny_data), "--out", str(out), "--fast-only"]).exit_code == 0
    result = runner.invoke(
        app, ["finetune", "--data", str(tiny_data), "--out", str(out), "--epochs", "1", "--top-layers", "1",
              "--limit", "32"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "tuned_e5.npz").is_file()
    figures = json.loads(result.stdout[result.stdout.index("{"):])
    assert "complaints.macro_f1" in figures
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tuned_e5"]["top_layers"] == 1 and manifest["tuned_e5"]["accurate_validation"] == figures
