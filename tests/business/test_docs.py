"""The verification snippets in docs/escalation.md accept Compris's signatures and refuse tampered ones."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from compris.kit.signing import request_signature

DOC = Path(__file__).resolve().parents[2] / "docs" / "escalation.md"
SECRET = "cba_test-secret"
BODY = b'{"action":"rebook","input":{"record_locator":"K7QZ4P"}}'


def _block(language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### The signature: `Compris-Signature`", 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} snippet"
    return match.group(1)


def _cases() -> list[tuple[str | None, bytes, bool]]:
    now = int(time.time())
    good = request_signature(SECRET, BODY, now)
    return [
        (good, BODY, True),
        (good, BODY + b" ", False),  # the body changed
        (request_signature("other", BODY, now), BODY, False),  # another secret
        (request_signature(SECRET, BODY, now - 3600), BODY, False),  # an old request, replayed
        (None, BODY, False),
        ("t=abc,v1=00", BODY, False),
    ]


def test_the_python_snippet() -> None:
    namespace: dict[str, Any] = {}
    exec(_block("python"), namespace)  # noqa: S102 (our own documentation)
    for header, body, expected in _cases():
        assert namespace["verify"](SECRET, header, body) is expected, header


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_javascript_snippet() -> None:
    cases = [{"header": h, "body": b.decode(), "expected": e} for h, b, e in _cases()]
    script = _block("js") + f"""
const cases = {json.dumps(cases)};
const results = cases.map((c) => verify({json.dumps(SECRET)}, c.header, Buffer.from(c.body)) === c.expected);
console.log(JSON.stringify(results));
"""
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(out.stdout) == [True] * len(cases)
