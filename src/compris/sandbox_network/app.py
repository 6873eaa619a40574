"""The sandbox network's web app: its page, its brand API, its simulation API.

- :func:`create_network_app` builds the ASGI app for a :class:`SandboxNetwork`;
- :func:`mount` puts it at ``/sandbox-network`` inside Compris (demo mode) and registers a brand for each
  sandbox channel account whose ``api_base`` points there;
- :func:`run_standalone` serves it on its own port (``compris sandbox``).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Header, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from starlette.staticfiles import StaticFiles

from compris.sandbox_network.network import SandboxNetwork, Timeline
from compris.sandbox_network.store import Brand, NetworkError, Persona, new_id, utcnow

if TYPE_CHECKING:
    from compris.runtime import Runtime

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PREFIX = "/sandbox-network"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}
FLAVOURS: dict[str, dict[str, str]] = {
    "": {"label": "Sandbox", "post": "Public post", "comment": "Comment", "dm": "Private message"},
    "x": {"label": "X", "post": "Post", "comment": "Reply", "dm": "Direct message"},
    "facebook": {"label": "Facebook", "post": "Post on the page", "comment": "Comment", "dm": "Messenger"},
    "instagram": {"label": "Instagram", "post": "Mention", "comment": "Comment", "dm": "Direct message"},
    "whatsapp": {"label": "WhatsApp", "post": "Status mention", "comment": "Comment", "dm": "WhatsApp message"},
    "vk": {"label": "VKontakte", "post": "Wall post", "comment": "Comment", "dm": "Community message"},
    "telegram": {"label": "Telegram", "post": "Channel post", "comment": "Comment", "dm": "Telegram message"},
    "mastodon": {"label": "Mastodon", "post": "Mention", "comment": "Reply", "dm": "Direct mention"},
    "bluesky": {"label": "Bluesky", "post": "Mention", "comment": "Reply", "dm": "Chat message"},
    "google": {"label": "Google reviews", "post": "Review", "comment": "Comment", "dm": "Message", "review": "1"},
    "tripadvisor": {"label": "Tripadvisor", "post": "Review", "comment": "Comment", "dm": "Message", "review": "1"},
    "yelp": {"label": "Yelp", "post": "Review", "comment": "Comment", "dm": "Message", "review": "1"},
    "youtube": {"label": "YouTube", "post": "Video comment", "comment": "Reply", "dm": "Message"},
}


# --- request bodies ------------------------------------------------------------------------------------


class AuthorIn(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    handle: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    followers: int = Field(default=0, ge=0)
    verified: bool = False

    def persona(self) -> Persona:
        return Persona(id=self.id, handle=self.handle, name=self.name, followers=self.followers,
                       verified=self.verified)


class AttachmentIn(BaseModel):
    kind: str = Field(default="file", max_length=40)
    url: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=300)
    mime_type: str | None = Field(default=None, max_length=100)


class SimulateIn(BaseModel):
    brand: str = Field(min_length=1, description="The brand's external_id.")
    author: AuthorIn
    kind: Literal["post", "comment", "dm"] = "post"
    text: str = Field(default="", max_length=5000)
    thread_id: str | None = None
    reply_to: str | None = None
    thread_title: str | None = Field(default=None, max_length=300)
    promoted: bool = False
    reshares: int = Field(default=0, ge=0)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    rating: int | None = Field(default=None, ge=1, le=5, description="A review's stars (a post only).")
    created_at: datetime | None = Field(default=None, description="Default: now. Must carry a time zone.")
    wait: bool = Field(default=False, description="Deliver now and answer with the webhook's HTTP status.")


class BrandIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000)
    account_id: int | None = Field(default=None, description="Compris channel account id: builds webhook_url.")
    webhook_secret: str = Field(min_length=8, max_length=500)
    api_token: str = Field(min_length=8, max_length=500)
    flavour: str = Field(default="", max_length=20)


class FaultsIn(BaseModel):
    fail_next: int = Field(ge=0, le=10_000)
    status: int = Field(default=503, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    brand: str | None = None


class ChoiceIn(BaseModel):
    label: str = Field(min_length=1, max_length=40)
    payload: str = Field(min_length=1, max_length=500)
    url: str | None = Field(default=None, max_length=2000)


class ReplyIn(BaseModel):
    text: Any = None
    reply_to: Any = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=10,
                                    description="Answers the customer may tap (private messages only).")


class ChooseIn(BaseModel):
    brand: str = Field(min_length=1, description="The brand's external_id.")
    message_id: str = Field(min_length=1, description="The brand's private message offering the answers.")
    index: int = Field(ge=0, le=9, description="Which answer the customer taps (0 = the first).")
    wait: bool = Field(default=False, description="Deliver now and answer with the webhook's HTTP status.")


# --- the app ----------------------------------------------------------------------------------------------


def create_network_app(network: SandboxNetwork, *, manage_lifecycle: bool = False) -> FastAPI:
    """The network's ASGI app. ``manage_lifecycle``: start and stop the network with the app (standalone)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            network.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                network.close()

    app = FastAPI(title="Sandbox network", version="1", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.network = network
    page_token = secrets.token_urlsafe(24)
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    templates.filters["ago"] = _ago
    templates.filters["count"] = _count
    templates.filters["clock"] = _clock

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(NetworkError)
    async def _network_error(request: Request, exc: NetworkError) -> Response:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse({"error": "invalid request", "details": details}, status_code=422)

    def api_brand(authorization: str | None) -> Brand:
        brand = network.authenticate(authorization)
        fault = network.faults.take(brand.external_id)
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            raise HTTPException(status, "injected fault: the sandbox network is failing on purpose", headers)
        return brand

    # --- brand API ------------------------------------------------------------------------------------

    @app.get("/api/me")
    def me(authorization: str | None = Header(default=None)) -> dict[str, str]:
        brand = api_brand(authorization)
        return {"name": brand.name, "external_id": brand.external_id}

    @app.post("/api/threads/{thread_id}/replies", status_code=201)
    def reply(thread_id: str, body: ReplyIn, authorization: str | None = Header(default=None),
              idempotency_key: str | None = Header(default=None)) -> Response:
        brand = api_brand(authorization)
        answer = network.brand_reply(brand, thread_id, body.text, body.reply_to, idempotency_key,
                                     attachments=[a.model_dump() for a in body.attachments],
                                     choices=[c.model_dump(exclude_none=True) for c in body.choices])
        return _answer(answer.status, answer.body, answer.replayed)

    @app.post("/api/dm/{user_id}/messages", status_code=201)
    def direct_message(user_id: str, body: ReplyIn, authorization: str | None = Header(default=None),
                       idempotency_key: str | None = Header(default=None)) -> Response:
        brand = api_brand(authorization)
        answer = network.brand_dm(brand, user_id, body.text, body.reply_to, idempotency_key,
                                  attachments=[a.model_dump() for a in body.attachments],
                                  choices=[c.model_dump(exclude_none=True) for c in body.choices])
        return _answer(answer.status, answer.body, answer.replayed)

    @app.get("/api/threads/{thread_id}")
    def read_thread(thread_id: str, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        brand = api_brand(authorization)
        return network.thread_json(brand, thread_id)

    # --- test and demo controls -----------------------------------------------------------------------

    @app.get("/api/_faults")
    def get_faults() -> dict[str, Any]:
        return network.faults.wire()

    @app.post("/api/_faults")
    def set_faults(body: FaultsIn) -> dict[str, Any]:
        network.faults.set(body.fail_next, body.status, retry_after=body.retry_after, brand=body.brand)
        return network.faults.wire()

    @app.delete("/api/_faults")
    def clear_faults() -> dict[str, Any]:
        network.faults.set(0)
        return network.faults.wire()

    @app.post("/api/simulate")
    def simulate(body: SimulateIn) -> dict[str, Any]:
        created = body.created_at
        if created is not None and created.tzinfo is None:
            raise NetworkError("created_at needs a time zone")
        posted = network.customer_message(
            body.brand, body.author.persona(), body.kind, body.text, thread_id=body.thread_id,
            reply_to=body.reply_to, thread_title=body.thread_title, promoted=body.promoted, reshares=body.reshares,
            attachments=[a.model_dump() for a in body.attachments], created_at=created, wait=body.wait,
            rating=body.rating,
        )
        return posted.wire()

    @app.post("/api/simulate/choice")
    def simulate_choice(body: ChooseIn) -> dict[str, Any]:
        """The customer taps one of the answers a brand's private message offers."""
        return network.customer_choice(body.brand, body.message_id, body.index, wait=body.wait).wire()

    @app.get("/api/deliveries/{delivery_id}")
    def delivery(delivery_id: int) -> dict[str, Any]:
        found = network.store.delivery(delivery_id)
        if found is None:
            raise NetworkError("no such delivery", 404)
        return {"id": found.id, "message_id": found.message_id, "event_id": found.event_id, "state": found.state,
                "attempts": found.attempts, "last_status": found.last_status, "last_error": found.last_error}

    @app.get("/api/brands")
    def list_brands() -> list[dict[str, str]]:
        network.sync()
        return [b.public() for b in network.store.brands()]

    @app.post("/api/brands", status_code=201)
    def register_brand(body: BrandIn) -> dict[str, str]:
        if network.embedded:
            raise NetworkError("inside Compris, brands come from its sandbox channel accounts", 403)
        webhook_url = body.webhook_url
        if not webhook_url and body.account_id is not None and network.compris_url:
            webhook_url = f"{network.compris_url}/webhooks/{body.account_id}"
        if not webhook_url or not webhook_url.startswith(("http://", "https://")):
            raise NetworkError("webhook_url (http or https) or account_id is required")
        brand = Brand(external_id=body.external_id, name=body.name, webhook_url=webhook_url,
                      webhook_secret=body.webhook_secret, api_token=body.api_token, flavour=body.flavour)
        network.register_brand(brand)
        return brand.public()

    # --- the page ---------------------------------------------------------------------------------------

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def page_context(request: Request, brand_id: str | None) -> dict[str, Any]:
        network.sync()
        brands = network.store.brands()
        current = next((b for b in brands if b.external_id == brand_id), brands[0] if brands else None)
        timeline = network.timeline(current.external_id) if current else Timeline([], [])
        return {
            "base": root(request),
            "brands": brands,
            "brand": current,
            "flavour": FLAVOURS.get(current.flavour if current else "", FLAVOURS[""]),
            "flavours": FLAVOURS,
            "timeline": timeline,
            "personas": network.store.personas(),
            "version": network.store.version(),
            "faults": network.faults.wire(),
            "live": network.live.interval(current.external_id) if current else None,
            "error": request.query_params.get("error", "")[:300],
            "notice": request.query_params.get("notice", "")[:300],
            "form_token": page_token,
            "embedded": network.embedded,
            "compris_url": network.compris_url,
            "now": utcnow(),
        }

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, brand: str | None = None) -> HTMLResponse:
        html = templates.get_template("page.html").render(page_context(request, brand))
        return HTMLResponse(html)

    @app.get("/feed", response_class=HTMLResponse)
    def feed(request: Request, brand: str | None = None, since: int | None = None) -> Response:
        version = network.store.version()
        if since is not None and since == version:
            return Response(status_code=204, headers={"X-Sandbox-Version": str(version)})
        html = templates.get_template("feed.html").render(page_context(request, brand))
        return HTMLResponse(html, headers={"X-Sandbox-Version": str(version), "Cache-Control": "no-store"})

    def back(request: Request, brand: str, **params: str) -> RedirectResponse:
        query = urlencode({"brand": brand, **{k: v for k, v in params.items() if v}})
        return RedirectResponse(f"{root(request)}/?{query}", status_code=303)

    def check_form(token: str) -> None:
        if not hmac.compare_digest(token.encode(), page_token.encode()):
            raise HTTPException(403, "the form expired: reload the page")

    @app.post("/post")
    def post_form(
        request: Request,
        form_token: str = Form(""),
        brand: str = Form(...),
        persona_id: str = Form(""),
        name: str = Form(""),
        handle: str = Form(""),
        followers: str = Form("0"),
        verified: str = Form(""),
        kind: str = Form("post"),
        post_id: str = Form(""),
        text: str = Form(""),
        promoted: str = Form(""),
        reshares: str = Form("0"),
        rating: str = Form(""),
    ) -> Response:
        check_form(form_token)
        try:
            persona = _form_persona(network, persona_id, name, handle, followers, verified)
            posted = network.customer_message(
                brand, persona, kind, text, thread_id=post_id or None, promoted=bool(promoted),
                reshares=_int(reshares, "reshares"), rating=_int(rating, "rating") if rating.strip() else None,
            )
        except NetworkError as exc:
            return back(request, brand, error=exc.message)
        response = back(request, brand, notice="Sent — delivering to the brand…")
        response.headers["location"] += f"#m-{posted.id}"
        return response

    @app.post("/choose")
    def choose_form(request: Request, form_token: str = Form(""), brand: str = Form(...),
                    message_id: str = Form(...), index: str = Form("0")) -> Response:
        check_form(form_token)
        try:
            posted = network.customer_choice(brand, message_id, _int(index, "index"))
        except NetworkError as exc:
            return back(request, brand, error=exc.message)
        response = back(request, brand, notice="Answer sent — delivering to the brand…")
        response.headers["location"] += f"#m-{posted.id}"
        return response

    @app.post("/redeliver")
    def redeliver_form(request: Request, form_token: str = Form(""), brand: str = Form(...),
                       delivery_id: int = Form(...)) -> Response:
        check_form(form_token)
        network.redeliver(delivery_id)
        return back(request, brand, notice="Delivery queued again.")

    @app.post("/faults")
    def faults_form(request: Request, form_token: str = Form(""), brand: str = Form(...),
                    fail_next: str = Form("0"), status: str = Form("503")) -> Response:
        check_form(form_token)
        try:
            network.faults.set(_int(fail_next, "fail_next"), _int(status, "status"))
        except NetworkError as exc:
            return back(request, brand, error=exc.message)
        return back(request, brand, notice="Fault injection updated.")

    @app.post("/live")
    def live_form(request: Request, form_token: str = Form(""), brand: str = Form(...),
                  action: str = Form("start"), interval: str = Form("10")) -> Response:
        check_form(form_token)
        try:
            if action == "start":
                network.live.start(brand, _int(interval, "interval"))
            else:
                network.live.stop(brand)
        except NetworkError as exc:
            return back(request, brand, error=exc.message)
        return back(request, brand, notice="Live traffic " + ("on." if action == "start" else "off."))

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def _answer(status: int, body: dict[str, Any], replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)


def _int(value: str, name: str) -> int:
    try:
        return int(str(value).strip() or "0")
    except ValueError:
        raise NetworkError(f"{name} is a whole number") from None


def _form_persona(network: SandboxNetwork, persona_id: str, name: str, handle: str, followers: str,
                  verified: str) -> Persona:
    if persona_id and persona_id != "new":
        found = network.store.persona(persona_id)
        if found is None:
            raise NetworkError("no such persona")
        return found
    name, handle = name.strip()[:200], handle.strip()[:200]
    if not name and not handle:
        raise NetworkError("choose a persona, or give the new one a name or a handle")
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    return Persona(id=new_id("u"), handle=handle or None, name=name or None,
                   followers=max(0, _int(followers, "followers")), verified=bool(verified))


def _ago(value: datetime) -> str:
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _clock(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%d %b %H:%M UTC")


def _count(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value // 1000}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return str(value)


# --- inside Compris (demo) ------------------------------------------------------------------------------


def network_path(data_dir: Path) -> Path:
    return data_dir / "sandbox-network.db"


def sync_brands_from_compris(network: SandboxNetwork, runtime: Runtime) -> int:
    """Register (or refresh) a brand for each active sandbox channel account whose api_base is this network.

    The one place the network reads Compris configuration: in the demo both share a process.
    """
    from sqlalchemy import select

    from compris.channels.accounts import context
    from compris.models import ChannelAccount

    base_url = runtime.settings.base_url.rstrip("/")
    api_base = f"{base_url}{PREFIX}"
    count = 0
    with runtime.db.transaction() as session:
        accounts = list(session.scalars(
            select(ChannelAccount).where(ChannelAccount.network == "sandbox", ChannelAccount.is_active.is_(True))
            .order_by(ChannelAccount.id)
        ))
        for account in accounts:
            if str((account.settings or {}).get("api_base", "")).rstrip("/") != api_base:
                continue
            secrets_ = context(account, runtime.settings.secret_key).secrets
            try:
                network.register_brand(Brand(
                    external_id=account.external_id, name=account.name,
                    webhook_url=f"{base_url}/webhooks/{account.id}",
                    webhook_secret=secrets_.get("webhook_secret", ""), api_token=secrets_.get("api_token", ""),
                    flavour=str((account.settings or {}).get("flavour", "")),
                ))
                count += 1
            except NetworkError as exc:
                log.warning("sandbox account %s not registered on the network: %s", account.id, exc.message)
    return count


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Mount the sandbox network at ``/sandbox-network`` inside Compris (demo mode)."""
    base_url = runtime.settings.base_url.rstrip("/")
    network = SandboxNetwork(
        network_path(runtime.settings.data_dir), public_url=f"{base_url}{PREFIX}", embedded=True,
        compris_url=base_url,
    )

    def sync() -> None:
        sync_brands_from_compris(network, runtime)

    network.set_sync(sync)
    try:
        sync_brands_from_compris(network, runtime)
    except Exception as exc:  # e.g. an unmigrated database: brands are registered on the first request instead
        log.warning("registering the sandbox brands failed: %s", exc)
    app.state.sandbox_network = network
    app.mount(PREFIX, create_network_app(network), name="sandbox-network")

    @app.get(PREFIX, include_in_schema=False)
    def _to_network() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(parent: Any) -> AsyncIterator[Any]:
        async with original(parent) as state:
            network.start()
            try:
                yield state
            finally:
                network.close()

    app.router.lifespan_context = lifespan
    # deliveries queued before the app starts (or in a test without the lifespan) start the deliverer lazily


# --- on its own (compris sandbox) -----------------------------------------------------------------------


def load_brands(network: SandboxNetwork, path: Path) -> int:
    """Register the brands of a JSON file: a list of ``POST /api/brands`` bodies."""
    items = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise NetworkError(f"{path}: expected a JSON list of brands")
    for item in items:
        body = BrandIn.model_validate(item)
        webhook_url = body.webhook_url or (
            f"{network.compris_url}/webhooks/{body.account_id}" if body.account_id is not None else "")
        network.register_brand(Brand(external_id=body.external_id, name=body.name, webhook_url=webhook_url,
                                     webhook_secret=body.webhook_secret, api_token=body.api_token,
                                     flavour=body.flavour))
    return len(items)


def run_standalone(compris_url: str, port: int, path: Path, *, host: str = "127.0.0.1",
                   brands_file: Path | None = None) -> None:
    """Serve the sandbox network on its own (``compris sandbox``).

    Brands are registered with ``POST /api/brands`` or from a JSON file (``brands_file``, or the
    ``COMPRIS_SANDBOX_BRANDS`` environment variable): a list of ``{external_id, name, webhook_url | account_id,
    webhook_secret, api_token, flavour}``; ``account_id`` builds ``<compris_url>/webhooks/<account_id>``.
    """
    import uvicorn

    public_url = f"http://{host}:{port}"
    network = SandboxNetwork(path, public_url=public_url, compris_url=compris_url)
    brands_path = brands_file or (Path(os.environ["COMPRIS_SANDBOX_BRANDS"])
                                  if os.environ.get("COMPRIS_SANDBOX_BRANDS") else None)
    if brands_path is not None:
        count = load_brands(network, brands_path)
        log.info("registered %d brand(s) from %s", count, brands_path)
    app = create_network_app(network, manage_lifecycle=True)
    print(f"  Sandbox network at {public_url}/  (API base for Compris sandbox accounts: {public_url})")
    print(f"  Register brands with POST {public_url}/api/brands; webhooks go to {compris_url}/webhooks/<id>")
    uvicorn.run(app, host=host, port=port, log_level="info")
