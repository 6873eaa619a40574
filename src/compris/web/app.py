"""The ASGI application: agent UI, JSON API, webhooks, live events (and the sandbox network in demos)."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from compris.config import Settings, get_settings
from compris.db import DatabaseBusy, unavailable
from compris.kit import logs, memory
from compris.kit.errors import ComprisError, Forbidden
from compris.runtime import Runtime
from compris.web import input_guard
from compris.web import metrics as web_metrics
from compris.web.body_limit import BodyLimit
from compris.web.deps import NotSignedIn, note_signed_in, session_user, signed_in
from compris.web.i18n import error_text, from_accept_language, gettext, normalise
from compris.web.pages.render import render

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def _not_allowed(request: Request) -> Response:
    """The translated "Not allowed" page, with the signed-in user's menu."""
    user = signed_in(request)
    return render(request, None, "error.html", status_code=403, lang=user.language if user else None, user=user,
                  code=403, message="forbidden")


DATABASE_AWAY = "The database cannot be reached right now; try again in a few seconds."


def _answer_503_while_the_database_is_away(
    app: FastAPI, runtime: Runtime, error: Callable[[Request, int, str, Mapping[str, str]], Response]
) -> None:
    """A page, an API call or a webhook that finds the database unreachable answers 503 with ``Retry-After`` (a
    platform redelivers the webhook later) rather than 500; the outage is logged once by the database's health
    (``database unreachable`` … ``database back``), not per request, and nothing needs restarting afterwards."""

    def database_away(request: Request, exc: Exception) -> Response:  # sync: see _error_page
        if not unavailable(exc):
            raise exc  # a bug or bad data, not an outage: the usual 500
        health = runtime.db.health
        if health.down_since is None:  # not seen inside a transaction (the SQLite lock's wait)
            health.failed(exc)
        retry_after = min(60, max(5, round(health.down_for)))  # a longer outage: come back later
        language = from_accept_language(request.headers.get("accept-language"))
        return error(request, 503, gettext(language, DATABASE_AWAY), {"Retry-After": str(retry_after)})

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, DatabaseBusy):
        app.add_exception_handler(kind, database_away)


def _input_errors(app: FastAPI, error: Callable[[Request, int, str], Response]) -> None:
    """Input a route does not expect: a 4xx with a clear message (JSON for the API and webhooks, the error page
    for a page a browser asked for), never a 500."""

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()]
        if _wants_html(request):
            text = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
            return error(request, 422, f"invalid request: {text}"[:1000])
        return JSONResponse({"error": "invalid request", "details": errors}, status_code=422)

    @app.exception_handler(DataError)
    def _data_error(request: Request, exc: DataError) -> Response:
        # the database refused a value the route did not bound (a number out of range, a text too long for its
        # column): the input's fault, not the server's
        log.warning("%s %s: the database refused a value: %s", request.method, request.url.path,
                    str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
        return error(request, 422, "a value is out of range or too long")


#: Paths that answer machines: their errors stay JSON whatever the client accepts.
MACHINE_PATHS = ("/api/", "/webhooks/", "/live", "/public/")


def _wants_html(request: Request) -> bool:
    """Whether an error is answered with the product's error page: a page or form post outside the API, webhooks,
    live events and public JSON, not an htmx request (its own handler shows the error), and not from a client that
    asks for JSON (``Accept: application/json`` without ``text/html``)."""
    accept = request.headers.get("accept", "").lower()
    return (
        not request.url.path.startswith(MACHINE_PATHS)
        and request.url.path != "/api"
        and not request.headers.get("hx-request")
        and ("text/html" in accept or "json" not in accept)
    )


#: Starlette's and our own English details, shown in the user's language on the error page.
_KNOWN_DETAILS = {"Not Found": "not_found", "Method Not Allowed": "method_not_allowed", "forbidden": "forbidden"}


def _error_page(
    request: Request, runtime: Runtime, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The product's error page: the top bar when the browser is signed in (an unknown URL resolved no route, so
    the user is looked up here), a link back to the inbox, in the user's language.

    The handlers that call it are plain functions, which Starlette runs in its thread pool: the look-up takes a
    database transaction, and on SQLite that waits for the process's write lock. On the event loop, that wait
    blocked the whole server — and the request holding the lock could not finish, since its transaction is left on
    the event loop's turn (a yield dependency): a signed-in 404 froze every request for up to 30 s."""
    user = signed_in(request)
    if user is None and status != 503 and isinstance(request.session.get("sid"), str):
        try:
            with runtime.db.transaction() as session:
                found = session_user(request, session)
                if found is not None:
                    note_signed_in(request, found)
            user = signed_in(request)
        except Exception:  # an error page never fails for want of its top bar
            log.warning("error page without its user", exc_info=True)
    kind = _KNOWN_DETAILS.get(message, "not_found" if status == 404 and not message else message)
    had_csrf = "csrf" in request.session
    page = render(request, None, "error.html", status_code=status, headers=dict(headers or {}),
                  lang=user.language if user else None, user=user, code=status, message=kind)
    if user is None and not had_csrf:  # the page has no form: an error never starts a session (no cookie for a
        request.session.pop("csrf", None)  # partner on the portal, a customer on a survey page, a crawler)
    return page


API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Compris API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api_docs.js"></script>
</body></html>
"""


def _api_docs(app: FastAPI) -> None:
    """The API explorer at ``/api/docs``: Swagger UI from ``static/vendor/swagger-ui`` and its start-up script
    ``static/api_docs.js`` (no CDN, no inline script: it works under the strict Content-Security-Policy)."""

    async def api_docs(request: Request) -> Response:
        return HTMLResponse(API_DOCS_PAGE.format(openapi_url=html.escape(app.openapi_url or "")),
                            headers={"Cache-Control": "no-cache"})

    # a plain route, public like FastAPI's own docs and the OpenAPI document it reads (no data of a workspace)
    app.add_route("/api/docs", api_docs, methods=["GET"], include_in_schema=False)


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, *, workers: int | None = None,
    settle: bool = False,
) -> FastAPI:
    """The application; ``settle``: a server process's (its start-up objects frozen once started,
    ``kit.memory.settle``)."""
    settings = settings or get_settings()
    settings.check_secret()
    runtime = runtime or Runtime.create(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start_listener()
        count = settings.workers if workers is None else workers
        if count:
            runtime.start_workers(count)
        if settle:
            memory.settle()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="Compris API",
        version="1",
        description="Cases, messages and replies of one workspace. Authenticate with a personal API token: "
        "`Authorization: Bearer cpr_...` (create one under Settings → API tokens).",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored files (the CSP allows no CDN and no inline script)
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        # before every route's own dependencies: out-of-range ids, NUL and lone surrogates are refused (4xx)
        dependencies=[Depends(input_guard.check_request)],
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="compris_session",  # only the server-side session's id (deps.sign_in) and the CSRF token
        max_age=settings.session_absolute_timeout,
        same_site="lax",
        https_only=settings.cookie_secure,
    )

    @app.middleware("http")
    async def frame(request: Request, call_next: Any) -> Response:
        """Every answer: the security headers, a request id (the proxy's ``X-Request-ID`` or a new one, on every log
        line written meanwhile and sent back), its duration and status counted for ``/metrics``."""
        timing = web_metrics.Timing(request)
        status = 500
        try:
            with logs.for_request(timing.request_id):
                response: Response = await call_next(request)
            status = response.status_code
        finally:
            timing.done(request, status)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers["X-Request-ID"] = timing.request_id
        return response

    # outermost: a body over the limit is refused while it is read, before any form is parsed (413)
    app.add_middleware(BodyLimit, settings=settings)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    def _error(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        if _wants_html(request):  # a page a person asked for: the product's error page, not raw JSON
            return _error_page(request, runtime, status, message, headers)
        return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))

    _answer_503_while_the_database_is_away(app, runtime, _error)

    @app.exception_handler(ComprisError)
    def _domain_error(request: Request, exc: ComprisError) -> Response:
        if isinstance(exc, Forbidden) and not request.url.path.startswith(("/api/", "/webhooks/", "/live")):
            return _not_allowed(request)  # deps.require refused a page: the "Not allowed" page
        if _wants_html(request):  # the page says it in the user's language (the API keeps the English message)
            user = signed_in(request)
            lang = user.language if user else from_accept_language(request.headers.get("accept-language"))
            return _error(request, exc.status_code, error_text(normalise(lang), exc))
        return _error(request, exc.status_code, exc.message)

    # Starlette's own (an unknown URL: 404, a known URL with another method: 405), FastAPI's subclass included
    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), exc.headers)

    _input_errors(app, _error)
    _api_docs(app)
    # public like a health check, but answered to this machine or to the holder of the metrics token only
    app.add_route("/metrics", web_metrics.metrics_endpoint(runtime, settings.metrics_token), methods=["GET"],
                  include_in_schema=False)

    from compris.web import live, webhooks
    from compris.web.api import router as api_router
    from compris.web.pages import router as pages_router

    app.include_router(webhooks.router)
    app.include_router(live.router)
    app.include_router(api_router)
    app.include_router(pages_router)

    if settings.sandbox:
        from compris.sandbox_network.app import mount

        mount(app, runtime)
    return app
