"""A local stand-in for a brand's system: a small HTTP server on 127.0.0.1 that behaves as the contract asks.

It verifies ``Compris-Signature`` (:func:`compris.kit.signing.verify_request`, 401 when it is wrong), runs the
business effect once per ``Idempotency-Key`` and answers a repeated key with the first answer. The demo starts one
for its airline "rebook" action (``./run demo``); the tests start their own with their own answers, and can make
the first call slow (``slow_first``: the effect happens, the answer comes after the caller's timeout).

Not for production: it is the reference a brand's developer can read next to docs/escalation.md.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from compris.kit.signing import SIGNATURE_HEADER, verify_request

Answer = tuple[int, dict[str, Any]]
Respond = Callable[[dict[str, Any]], Answer]
MAX_BODY = 1_048_576


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    path: str
    idempotency_key: str | None
    body: bytes
    signature_ok: bool


class StandIn:
    """``respond(payload) -> (status, json object)`` is the business effect, run once per idempotency key."""

    def __init__(self, secret: str, respond: Respond, *, port: int = 0, slow_first: float = 0.0) -> None:
        self.secret = secret
        self.respond = respond
        self.slow_first = slow_first
        self.seen: list[Seen] = []
        self.effects = 0
        self._answers: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._slowed = False
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stand_in.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, name="compris-standin", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(min(length, MAX_BODY))
        ok = verify_request(self.secret, request.headers.get(SIGNATURE_HEADER), body, datetime.now(UTC))
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.seen.append(Seen(request.path, key, body, ok))
        if not ok:
            return self._send(request, 401, {"error": "invalid signature"})
        try:
            payload = json.loads(body)
        except ValueError:
            return self._send(request, 400, {"error": "the body is not JSON"})
        dedupe = key or hashlib.sha256(body).hexdigest()
        slow = False
        with self._lock:  # once per key: a repeated key gets the first answer
            answer = self._answers.get(dedupe)
            if answer is None:
                answer = self.respond(payload)
                self._answers[dedupe] = answer
                self.effects += 1
                if self.slow_first and not self._slowed:
                    self._slowed = slow = True
        if slow:  # the effect happened; the answer arrives after the caller gave up
            time.sleep(self.slow_first)
        self._send(request, *answer)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(raw)))
            request.end_headers()
            request.wfile.write(raw)
        except OSError:  # the caller timed out and closed the connection
            pass


# --- the demo airline's rebooking system --------------------------------------------------------------------


def rebook_answer(payload: dict[str, Any]) -> Answer:
    """The demo airline: a new flight on the date asked for, derived from the booking reference."""
    data = payload.get("input") or {}
    locator = str(data.get("record_locator") or "").upper()
    if not locator:
        return 422, {"error": "a booking reference is required"}
    date = str(data.get("flight_date") or "")
    number = 1000 + int(hashlib.sha256(locator.encode()).hexdigest()[:4], 16) % 9000
    cabin = str(data.get("cabin") or "economy")
    seat = f"{2 + number % 5 if cabin == 'business' else 12 + number % 20}{'ACDF'[number % 4]}"
    return 200, {"flight": f"AF{number}", "departure": f"{date} 09:40".strip(), "seat": seat,
                 "record_locator": locator}


_demo: StandIn | None = None


def start_demo(secret: str, port: int = 0) -> StandIn:
    """The demo's stand-in (one per process): on ``port`` if it is free, else on any free port."""
    global _demo
    if _demo is not None:
        _demo.secret = secret
        return _demo
    try:
        _demo = StandIn(secret, rebook_answer, port=port).start()
    except OSError:
        _demo = StandIn(secret, rebook_answer).start()
    return _demo


def demo_server() -> StandIn | None:
    """The demo's stand-in, if this process started one."""
    return _demo
