"""``compris worker`` exits with an error when one of its threads ended (a service manager then starts it again),
rather than stay up doing nothing."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compris import cli
from compris.config import get_settings
from compris.runtime import Runtime
from tests.conftest import SECRET


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COMPRIS_DATABASE_URL", f"sqlite:///{tmp_path}/compris.db")
    monkeypatch.setenv("COMPRIS_SECRET_KEY", SECRET)
    monkeypatch.setenv("COMPRIS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "WATCH_SECONDS", 0.01)
    get_settings.cache_clear()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():  # the command sets its own
        signal.signal(sig, handler)
    get_settings.cache_clear()


def test_the_worker_command_exits_with_an_error_when_a_thread_ended(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def start_workers(self: Runtime, count: int) -> None:
        thread = threading.Thread(target=lambda: None, name="worker-0")
        thread.start()
        thread.join()
        self.workers.append(thread)  # type: ignore[arg-type]

    monkeypatch.setattr(Runtime, "start_workers", start_workers)
    result = CliRunner().invoke(cli.app, ["worker", "--threads", "1"])
    assert result.exit_code == 1, result.output
