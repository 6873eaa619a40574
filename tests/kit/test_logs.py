"""Structured logs (issue 22, item 6): one JSON object per line with the request id or the job it belongs to."""

from __future__ import annotations

import io
import json
import logging
import re

from fastapi.testclient import TestClient

from compris.config import Settings
from compris.kit import logs
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker import queue
from compris.worker.queue import JobRun, enqueue, handler, run_pending
from tests.conftest import World


def _capture(log_format: logs.LogFormat = "json") -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.addFilter(logs.ContextFilter())
    capture.setFormatter(logs.JsonFormatter() if log_format == "json" else
                         logging.Formatter("%(message)s%(context)s"))
    logging.getLogger().addHandler(capture)
    return capture, stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_json_line_carries_the_request_and_the_exception() -> None:
    capture, stream = _capture()
    try:
        log = logging.getLogger("compris.test")
        with logs.for_request("req-1"):
            log.warning("a customer's text: %s", 'quote " and newline\n and <b>')
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception("it failed")
        log.warning("outside")
    finally:
        logging.getLogger().removeHandler(capture)
    first, failed, outside = _lines(stream)
    assert first["level"] == "WARNING" and first["logger"] == "compris.test" and first["request_id"] == "req-1"
    assert first["message"] == 'a customer\'s text: quote " and newline\n and <b>'  # one line, escaped by JSON
    assert len(stream.getvalue().splitlines()) == 3
    assert "ValueError: boom" in str(failed["exception"]) and failed["request_id"] == "req-1"
    assert "request_id" not in outside and str(outside["time"]).endswith("+00:00")


def test_a_job_names_itself_on_every_line_it_writes(runtime: Runtime, world: World) -> None:
    @handler("test.logs.job")
    def noisy(run: JobRun) -> None:
        logging.getLogger("compris.test").info("working on %s", run.payload["what"])

    capture, stream = _capture()
    logging.getLogger().setLevel(logging.INFO)
    try:
        with runtime.db.transaction() as session:
            job = enqueue(session, runtime.publisher, workspace_id=world.workspace_id, kind="test.logs.job",
                          payload={"what": "the backlog"})
            session.flush()
            job_id = job.id
        run_pending(runtime.services)
    finally:
        logging.getLogger().removeHandler(capture)
        queue.HANDLERS.pop("test.logs.job", None)
    [line] = [entry for entry in _lines(stream) if entry["message"] == "working on the backlog"]
    assert line["job_id"] == job_id and line["job_kind"] == "test.logs.job"


def test_the_web_puts_the_request_id_on_its_log_lines(settings: Settings, runtime: Runtime) -> None:
    app = create_app(settings, runtime, workers=0)

    def logs_something() -> dict[str, str]:  # a plain handler: FastAPI runs it on a thread of its pool
        logging.getLogger("compris.test").warning("handled")
        return {}

    async def logs_async() -> dict[str, str]:
        logging.getLogger("compris.test").warning("handled async")
        return {}

    app.add_api_route("/_test/log", logs_something)
    app.add_api_route("/_test/log-async", logs_async)
    capture, stream = _capture("text")
    try:
        client = TestClient(app, follow_redirects=False)
        first = client.get("/_test/log", headers={"X-Request-ID": "trace-42"})
        second = client.get("/_test/log-async")
    finally:
        logging.getLogger().removeHandler(capture)
    assert first.headers["x-request-id"] == "trace-42"
    lines = stream.getvalue().splitlines()
    ours = [line for line in lines if line.startswith("handled")]
    assert ours == ["handled [request=trace-42]", f"handled async [request={second.headers['x-request-id']}]"]
    # the access line is ours too (uvicorn's is off): method, path, status, duration, and the request id
    [access] = [line for line in lines if line.startswith("GET /_test/log ")]
    assert re.fullmatch(r"GET /_test/log 200 \d+\.\d ms \[request=trace-42\]", access), access


def test_setup_switches_the_format() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        logs.setup("INFO", "json")
        [only] = root.handlers
        assert isinstance(only.formatter, logs.JsonFormatter)
        logs.setup("WARNING", "text")
        [only] = root.handlers
        assert not isinstance(only.formatter, logs.JsonFormatter) and root.level == logging.WARNING
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
