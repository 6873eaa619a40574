"""A brand's webhook receiver, standing in on 127.0.0.1 (ephemeral port): it verifies ``Compris-Signature`` over the
raw body with :func:`compris.kit.signing.verify_request` (against Compris's clock, which tests may move), answers
401 when it does not verify, and otherwise the statuses it was told to, in order (the last one repeats)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from compris.kit.clock import now
from compris.kit.signing import verify_request


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    verified: bool
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["compris-event-id"]


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.received: list[Received] = []
        self._statuses: list[int] = [200]
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._answer(self.path, headers, body)
                answer = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            verified = verify_request(self.secret, headers.get("compris-signature"), body, now())
            status = (self._statuses.pop(0) if len(self._statuses) > 1 else self._statuses[0]) if verified else 401
            self.received.append(Received(path, headers, body, verified, status))
            return status

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def answer(self, *statuses: int) -> None:
        """Answer these statuses to the next requests, in order (the last one repeats)."""
        with self._lock:
            self._statuses = list(statuses) or [200]

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def running() -> Iterator[Receiver]:
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
