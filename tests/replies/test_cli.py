"""``compris replies check``: JSON lines in, one JSON line of findings per draft out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from compris.replies.cli import app

runner = CliRunner()


def run(stdin: str, *args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["check", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_findings_per_line() -> None:
    lines = [
        {"text": "Please contact customer service.", "channel": "x"},
        {"text": "Pourriez-vous nous indiquer votre numéro de dossier ?", "public": True},
        {"text": "Pourriez-vous nous indiquer votre numéro de dossier ?", "public": False},
    ]
    out = run("\n".join(json.dumps(x) for x in lines) + "\n")
    assert [o["line"] for o in out] == [1, 2, 3]
    first = out[0]["findings"]
    assert isinstance(first, list) and first[0] == {
        "rule": "send_elsewhere",
        "severity": "warning",
        "message": first[0]["message"],
        "span": [7, 31],
    }
    assert [f["rule"] for f in out[1]["findings"]] == ["asks_personal_data"]  # type: ignore[union-attr]
    assert out[2]["findings"] == []


def test_bad_lines_do_not_stop_the_batch() -> None:
    stdin = "\n".join(
        [
            "not json",
            json.dumps({"text": 3}),
            "",
            json.dumps({"text": "hi", "channel": "myspace"}),
            json.dumps([1, 2]),
            json.dumps({"text": "hi", "public": "yes"}),
            json.dumps({"text": "Thanks, all done."}),
        ]
    )
    out = run(stdin)
    assert [o["line"] for o in out] == [1, 2, 4, 5, 6, 7]
    assert all("error" in o for o in out[:5])
    assert "myspace" in str(out[2]["error"])
    assert out[5] == {"line": 7, "findings": []}


def test_limits_come_from_the_connector() -> None:
    # given a draft too long for an X post as X counts it (300 emoji, 2 each), but not for an X direct message
    emoji = "👍🏽" * 300
    out = run("\n".join(json.dumps(line) for line in [
        {"text": emoji, "channel": "x"},
        {"text": emoji, "channel": "X", "public": False},
        {"text": emoji, "channel": "twitter"},  # an alias of X's connector
        {"text": "x" * 5000, "channel": "email", "public": False},  # e-mail: no limit
        {"text": "x" * 1001, "channel": "sandbox"},
    ]))
    # then the connector's limit for that visibility and its unit decide
    assert [[f["rule"] for f in o["findings"]] for o in out] == [  # type: ignore[union-attr]
        ["too_long"], [], ["too_long"], [], ["too_long"]]
    assert "X" in out[0]["findings"][0]["message"]  # type: ignore[index]


def test_explicit_limits_for_a_network_without_connector() -> None:
    # given limits written out for a network Compris does not connect (counted in graphemes, 300 at most)
    emoji = "👍🏽" * 300  # 300 graphemes, 600 code points
    bluesky = {"text": emoji, "max_length": 300, "length_unit": "graphemes"}
    out = run(json.dumps(bluesky) + "\n" + json.dumps({**bluesky, "length_unit": "characters"}) + "\n"
              + json.dumps({"text": "hi", "channel": "myspace"}) + "\n" + json.dumps({**bluesky, "length_unit": "km"})
              + "\n" + json.dumps({**bluesky, "max_length": 0}))
    assert out[0]["findings"] == []
    assert [f["rule"] for f in out[1]["findings"]] == ["too_long"]  # type: ignore[union-attr]
    assert "myspace" in str(out[2]["error"]) and "max_length" in str(out[2]["error"])
    assert "length_unit" in str(out[3]["error"]) and "max_length" in str(out[4]["error"])


def test_customer_text_and_language() -> None:
    line = {"text": "We are so sorry about the delay of your flight this morning.", "language": "fr"}
    out = run(json.dumps(line))
    assert [f["rule"] for f in out[0]["findings"]] == ["wrong_language"]  # type: ignore[union-attr]
    line = {"text": "Your flight is on time.", "customer_text": "worst airline ever, delayed 5 hours!!"}
    assert [f["rule"] for f in run(json.dumps(line))[0]["findings"]] == ["no_acknowledgement"]  # type: ignore[union-attr]


def test_file_argument_ui_language_and_settings(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text(json.dumps({"text": "Merci 🙏"}) + "\n", encoding="utf-8")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"emoji_allowed": False}), encoding="utf-8")
    out = run("", str(drafts), "--ui-language", "fr", "--settings", str(settings))
    assert out[0]["findings"][0]["rule"] == "tone_emoji"  # type: ignore[index]
    assert "emoji" in out[0]["findings"][0]["message"]  # type: ignore[index]


def test_missing_file_and_bad_settings(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    bad = tmp_path / "s.json"
    bad.write_text('{"address_form": "toi"}', encoding="utf-8")
    assert runner.invoke(app, ["check", "--settings", str(bad)], input="").exit_code == 2
