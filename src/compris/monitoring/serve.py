"""The metrics of a process without a web server (``compris worker --metrics-port``): a small HTTP server on its
own thread answering ``GET /metrics`` with the same exposition and the same access rule as the web's ``/metrics``
(bearer token when ``COMPRIS_METRICS_TOKEN`` is set, else loopback clients only)."""

from __future__ import annotations

import hmac
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from compris.db import Database
from compris.monitoring.queries import DatabaseCollector


def allowed(client_host: str, authorization: str, token: str) -> bool:
    """The access rule of every metrics endpoint."""
    if token:
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False


def exposition(database: CollectorRegistry) -> bytes:
    """This process's own metrics, then the database's."""
    return generate_latest(REGISTRY) + generate_latest(database)


def database_registry(db: Database) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return registry


def serve_metrics(db: Database, *, host: str, port: int, token: str) -> ThreadingHTTPServer:
    """Start serving on ``host:port`` (a daemon thread); returns the server (``shutdown()`` stops it)."""
    database = database_registry(db)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(404, b"not found\n", "text/plain; charset=utf-8")
            elif not allowed(self.client_address[0], self.headers.get("Authorization", ""), token):
                self._answer(403, b"forbidden: a metrics token is required\n", "text/plain; charset=utf-8")
            else:
                self._answer(200, exposition(database), CONTENT_TYPE_LATEST)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # a scrape every 15 s is not worth a log line

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="compris-metrics", daemon=True).start()
    return server
