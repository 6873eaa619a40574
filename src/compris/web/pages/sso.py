"""Single sign-on by OpenID Connect: ``/sso/login`` sends the browser to the provider, ``/sso/callback`` signs the
person in (``docs/administration.md`` → *Single sign-on*).

``/sso/login`` and ``/sso/callback`` are public (nobody is signed in yet); ``/admin/people/{id}/sso/unlink`` is
for those who manage people. What the flow needs from the first to the second (state, nonce, PKCE verifier, where
to go next) is kept in the browser's signed session cookie and used once. Every refusal answers the login
page with a message and a 4xx status (503 when the provider cannot be reached), and is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from compris.accounts import oidc
from compris.accounts.sso import SsoRefused, sign_in_with, unlink
from compris.config import Settings
from compris.web.deps import PeoplePage, get_runtime, mark_origin, session_user, sign_in
from compris.web.pages.render import domain_action, language_of, redirect, render, safe_next

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

SESSION_KEY = "sso"
#: the status of each refusal (the login page words it: ``_sso_login.html``)
STATUS = {
    "unavailable": 503, "state": 400, "provider": 400, "cancelled": 400, "token": 401,
    "domain": 403, "unverified": 403, "unknown": 403, "inactive": 403, "linked_elsewhere": 409,
}


@dataclass(frozen=True)
class SsoLogin:
    """What the login page shows of single sign-on."""

    name: str
    #: the provider could not be reached a moment ago (known without asking it again)
    unavailable: bool
    password_login: bool


def client(settings: Settings) -> oidc.Client:
    return oidc.Client(
        issuer=settings.oidc_issuer, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        redirect_uri=settings.base_url.rstrip("/") + "/sso/callback",
        allow_local_http=settings.allow_local_http_endpoints or settings.demo,
    )


def login_extras(request: Request) -> dict[str, Any]:
    """The login page's single sign-on part (``sso``: ``None`` when it is not configured)."""
    settings = get_runtime(request).settings
    if not settings.oidc_enabled:
        return {"sso": None}
    return {"sso": SsoLogin(name=settings.oidc_name.strip() or "single sign-on",
                            unavailable=oidc.recently_unreachable(settings.oidc_issuer.strip()),
                            password_login=settings.password_login)}


def login_template(request: Request) -> str:
    """``login.html``, or ``login_sso.html`` (no password form) when single sign-on replaces passwords."""
    return "login.html" if get_runtime(request).settings.password_login else "login_sso.html"


def _refused(request: Request, reason: str, next_path: str, detail: str = "") -> Response:
    log.warning("single sign-on refused (%s)%s", reason, f": {detail}" if detail else "")
    return render(request, None, login_template(request), status_code=STATUS.get(reason, 400), next=next_path,
                  email="", error=None, sso_error=reason, lang=language_of(None, request), **login_extras(request))


@router.get("/sso/login")
def sso_login(request: Request, next: str = "/inbox") -> Response:
    """Send the browser to the provider (PUBLIC: nobody is signed in)."""
    settings = get_runtime(request).settings
    if not settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not configured")
    target = safe_next(next)
    with get_runtime(request).db.transaction() as session:
        if session_user(request, session) is not None:
            return redirect(target)  # already signed in
    try:
        url, pending = client(settings).start(target)
    except oidc.OidcError as exc:
        return _refused(request, exc.reason, target, exc.detail)
    request.session[SESSION_KEY] = pending.to_session()
    return redirect(url)


@router.get("/sso/callback")
def sso_callback(request: Request) -> Response:
    """The provider sends the browser back here (PUBLIC): check everything, then sign the user in."""
    runtime = get_runtime(request)
    settings = runtime.settings
    if not settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not configured")
    pending = oidc.Pending.from_session(request.session.pop(SESSION_KEY, None))  # used once, whatever happens
    target = pending.next if pending else "/inbox"
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    try:
        identity = client(settings).finish(pending, params)
    except oidc.OidcError as exc:
        reason = "cancelled" if exc.reason == "provider" and exc.detail == "access_denied" else exc.reason
        return _refused(request, reason, target, exc.detail)
    try:
        with runtime.db.transaction() as session:
            mark_origin(request, session, "link", None)
            user = sign_in_with(session, runtime.publisher, identity, allowed_domains=settings.oidc_domains,
                                trust_unstated_email=settings.oidc_trust_email)
            sign_in(request, session, user, method="sso")  # a new session id and CSRF token
            user_id = user.id
    except SsoRefused as exc:
        return _refused(request, exc.reason, target, f"{identity.issuer} {identity.subject}: {exc.detail}")
    log.info("single sign-on: user %s signed in (%s)", user_id, identity.issuer)
    return redirect(safe_next(target))


@router.post("/admin/people/{user_id}/sso/unlink")
def sso_unlink(ctx: PeoplePage, user_id: int) -> Response:
    """An admin forgets a user's single sign-on identity (the people page's button)."""
    with domain_action(ctx.session):
        unlink(ctx.session, ctx.runtime.publisher, actor=ctx.user, user_id=user_id)
    return redirect("/admin/people")
