"""``GET /metrics``: the Prometheus exposition of this process (issue 22, item 6) — its own counters and histograms
(:mod:`compris.kit.metrics`: HTTP requests and latencies here; jobs, messages taken in, replies and SLA passes
when this process runs workers) and the database's figures (:mod:`compris.monitoring.queries`: job queue depth and
age per lane, ingest backlog, replies not finished).

Who may read it: with ``COMPRIS_METRICS_TOKEN`` set, a request carrying ``Authorization: Bearer <token>``; without
it, only a client on this machine (loopback), so that nothing is exposed by default. No customer data is in it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compris.kit import logs
from compris.kit.metrics import HTTP_LATENCY, HTTP_REQUESTS
from compris.monitoring import serve
from compris.runtime import Runtime

access = logging.getLogger("compris.access")

UNMATCHED = "<unmatched>"  # a URL no route answers (404s): one label, not one per path tried


def metrics_endpoint(runtime: Runtime, token: str) -> Callable[[Request], Awaitable[Response]]:
    database = serve.database_registry(runtime.db)

    async def metrics(request: Request) -> Response:
        # a request a proxy forwarded is not from this machine, whatever the peer address
        client = "" if request.headers.get("x-forwarded-for") else (request.client.host if request.client else "")
        if not serve.allowed(client, request.headers.get("authorization", ""), token):
            message = ("a metrics token is required: Authorization: Bearer <COMPRIS_METRICS_TOKEN>" if token
                       else "metrics are served to this machine only; set COMPRIS_METRICS_TOKEN to scrape from "
                            "elsewhere")
            return JSONResponse({"error": message}, status_code=403)
        body = await run_in_threadpool(serve.exposition, database)  # blocking queries: off the event loop
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics


def route_of(request: Request) -> str:
    """The route template the request matched (``/cases/{number}``), for bounded labels."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class Timing:
    """Started at the top of a request: the request id for the logs, the duration and count once answered."""

    __slots__ = ("request_id", "start")

    def __init__(self, request: Request) -> None:
        self.start = time.perf_counter()
        self.request_id = logs.new_request_id(request.headers.get("x-request-id"))

    def done(self, request: Request, status: int) -> None:
        """Count the answer, and write the access line (with the request id, which uvicorn's own line lacks)."""
        route = route_of(request)
        method = request.method
        seconds = time.perf_counter() - self.start
        HTTP_LATENCY.labels(method=method, route=route).observe(seconds)
        HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        with logs.for_request(self.request_id):  # the path only: a query string may carry what an agent searched
            access.info("%s %s %s %.1f ms", method, request.url.path, status, seconds * 1000)
