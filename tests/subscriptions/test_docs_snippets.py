"""The verification snippets of docs/webhooks.md, run against a real delivery: they accept it, and refuse a changed
body, another secret and an old timestamp."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compris import bus
from compris.events import SlaBreached
from tests.conftest import World
from tests.subscriptions.conftest import Story, subscribe
from tests.subscriptions.receiver import Received, Receiver

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _snippet(language: str) -> str:
    [code] = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return str(code)


@pytest.fixture
def delivery(world: World, story: Story, receiver: Receiver) -> Received:
    subscribe(world, receiver, ["sla.breached"])
    with world.runtime.db.transaction() as s:
        bus.emit(s, world.runtime.publisher, SlaBreached(workspace_id=world.workspace_id, case_id=story.case_id,
                                                         metric="resolution", cycle=1,
                                                         breached_at="2026-12-06T10:00:00+00:00"))
    world.run_jobs()
    [got] = receiver.received
    assert got.verified
    return got


def _cases(delivery: Received, secret: str) -> list[tuple[str, str, bytes, bool]]:
    header = delivery.headers["compris-signature"]
    stamp = int(header.split(",")[0].removeprefix("t="))
    old = header.replace(f"t={stamp}", f"t={stamp - 600}")
    return [(secret, header, delivery.body, True),
            (secret, header, delivery.body + b" ", False),
            ("whsec_other", header, delivery.body, False),
            (secret, old, delivery.body, False),
            (secret, "", delivery.body, False),
            (secret, "v1=" + header.split("v1=")[1], delivery.body, False)]


def test_the_python_snippet(delivery: Received, receiver: Receiver) -> None:
    scope: dict[str, Any] = {}
    exec(compile(_snippet("python"), str(DOC), "exec"), scope)  # noqa: S102 (our own documentation)
    for secret, header, body, expected in _cases(delivery, receiver.secret):
        assert scope["verify"](secret, header, body) is expected, (header, expected)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_javascript_snippet(delivery: Received, receiver: Receiver, tmp_path: Path) -> None:
    module = tmp_path / "verify.js"
    module.write_text(_snippet("javascript"), encoding="utf-8")
    cases = _cases(delivery, receiver.secret)
    (tmp_path / "cases.json").write_text(json.dumps([[c[0], c[1], c[2].hex()] for c in cases]), encoding="utf-8")
    script = (f"const {{ verify }} = require({str(module)!r});"
              f"const cases = JSON.parse(require('node:fs').readFileSync({str(tmp_path / 'cases.json')!r}));"
              "process.stdout.write(JSON.stringify(cases.map(([s, h, b]) => verify(s, h, Buffer.from(b, 'hex')))));")
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30,
                            check=True)
    assert json.loads(result.stdout) == [c[3] for c in cases], result.stderr
