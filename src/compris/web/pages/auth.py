"""Login, logout, and ``/`` → ``/inbox``. Sessions are kept on the server (``accounts.start_session``): the signed
cookie carries only the session's random id.

Also the pages a link opens without a login (public routes): "Forgot your password?" (``/password/forgot``), the
reset link's page (``/password/reset/{token}``) and an invitation's page (``/invitations/{token}``, which signs the
new user in)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from compris.accounts import invitations, recovery
from compris.accounts.actions import LoginRateLimited, RateLimited, finish_login, reserve_login
from compris.kit.errors import ComprisError
from compris.models import Workspace
from compris.web import i18n
from compris.web.deps import (
    check_csrf,
    client_ip,
    get_runtime,
    mark_origin,
    note_login_failed,
    session_user,
    sign_in,
    sign_out,
)
from compris.web.pages.people import ROLE_LABELS
from compris.web.pages.render import domain_action, language_of, redirect, render, safe_next
from compris.web.pages.sso import login_extras, login_template

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> Response:
    return redirect("/inbox")


@router.get("/login")
def login_page(request: Request, next: str = "/inbox", reset: str = "") -> Response:
    with get_runtime(request).db.transaction() as session:
        if session_user(request, session) is not None:
            return redirect(safe_next(next))
    return render(request, None, login_template(request), next=safe_next(next), email="", error=None,
                  reset=reset == "1", **login_extras(request))


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login_submit(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    runtime = get_runtime(request)
    target = safe_next(next)
    ip = client_ip(request)
    if not runtime.settings.password_login:  # single sign-on only (COMPRIS_OIDC_PASSWORD_LOGIN=0)
        return render(request, None, login_template(request), status_code=403, next=target, email=email,
                      error="password_off", lang=language_of(None, request), **login_extras(request))

    def check() -> bool:
        # first the rate limits (the attempt counted under a short lock), then the slow password check
        with runtime.db.transaction() as session:
            ticket = reserve_login(session, email, ip=ip, max_failures=runtime.settings.login_max_failures)
        with runtime.db.transaction() as session:
            user = finish_login(session, ticket, password)
            if user is None:
                note_login_failed(request, session, ticket.email)
                return False
            sign_in(request, session, user)  # a new session id: whatever the browser had before ends
            return True

    lang = language_of(None, request)
    try:
        ok = await anyio.to_thread.run_sync(check)
    except LoginRateLimited:
        return render(request, None, "login.html", status_code=429, next=target, email=email,
                      error="rate_limited", headers={"Retry-After": "900"}, lang=lang, **login_extras(request))
    if not ok:
        return render(request, None, "login.html", status_code=401, next=target, email=email, error="invalid",
                      lang=lang, **login_extras(request))
    return redirect(target)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    """Sign out everywhere: every session of the user ends on the server, not only this browser's cookie."""
    with get_runtime(request).db.transaction() as session:
        sign_out(request, session)
    return redirect("/login")


# --- password reset (public: the login page's "Forgot your password?") ---------------------------------------


@router.get("/password/forgot")
def forgot_page(request: Request) -> Response:
    return render(request, None, "password_forgot.html", email="", sent=False, error=None)


@router.post("/password/forgot", dependencies=[Depends(check_csrf)])
def forgot_submit(request: Request, email: Annotated[str, Form()] = "") -> Response:
    """The same answer whether the e-mail is a user's or not; rate limited per e-mail and per address."""
    runtime = get_runtime(request)
    lang = language_of(None, request)
    try:
        with runtime.db.transaction() as session:
            mark_origin(request, session, "link", None)
            recovery.request_reset(session, runtime.publisher, email=email, ip=client_ip(request),
                                   base_url=runtime.settings.base_url, secret_key=runtime.settings.secret_key)
    except RateLimited as exc:
        return render(request, None, "password_forgot.html", status_code=429, email=email, sent=False,
                      error="rate_limited", headers={"Retry-After": str(exc.retry_after)}, lang=lang)
    return render(request, None, "password_forgot.html", email="", sent=True, error=None, lang=lang)


def _link_refused(request: Request, kind: str, reason: str, status_code: int, lang: str | None = None) -> Response:
    return render(request, None, "link_refused.html", status_code=status_code, kind=kind, reason=reason, lang=lang)


@router.get("/password/reset/{token}")
def reset_page(request: Request, token: str) -> Response:
    runtime = get_runtime(request)
    with runtime.db.transaction() as session:
        try:
            user = recovery.user_for_reset(session, token, runtime.settings.secret_key)
        except recovery.ResetRefused as exc:
            return _link_refused(request, "reset", exc.reason, exc.status_code)
        email, lang = user.email, i18n.normalise(user.language)
    return render(request, None, "password_reset.html", token=token, email=email, error=None, lang=lang)


@router.post("/password/reset/{token}", dependencies=[Depends(check_csrf)])
def reset_submit(request: Request, token: str, password: Annotated[str, Form()] = "",
                 confirm: Annotated[str, Form()] = "") -> Response:
    runtime = get_runtime(request)
    with runtime.db.transaction() as session:
        mark_origin(request, session, "link", None)
        try:
            user = recovery.user_for_reset(session, token, runtime.settings.secret_key)
        except recovery.ResetRefused as exc:
            return _link_refused(request, "reset", exc.reason, exc.status_code)
        email, lang = user.email, i18n.normalise(user.language)
        error: str | None = None
        if password != confirm:
            error = i18n.gettext(lang, "The two passwords differ.")
        else:
            try:
                with domain_action(session):
                    recovery.reset_password(session, runtime.publisher, token=token, password=password,
                                            secret_key=runtime.settings.secret_key)
            except ComprisError as exc:
                error = i18n.error_text(lang, exc)
    if error:
        return render(request, None, "password_reset.html", status_code=422, token=token, email=email, error=error,
                      lang=lang)
    request.session.pop("sid", None)  # every session of the user ended: this browser signs in again too
    return redirect("/login?reset=1")


# --- invitations (public: the invitation's link) --------------------------------------------------------------


def _invitation_page(request: Request, token: str, *, name: str | None = None, error: str | None = None,
                     status_code: int = 200) -> Response:
    runtime = get_runtime(request)
    with runtime.db.transaction() as session:
        try:
            invitation = invitations.invitation_for_link(session, token, runtime.settings.secret_key)
        except invitations.InvitationRefused as exc:
            return _link_refused(request, "invitation", exc.reason, exc.status_code)
        workspace = session.get(Workspace, invitation.workspace_id)
        lang = i18n.normalise(invitation.language)
        email, workspace_name = invitation.email, workspace.name if workspace else ""
        shown_name = invitation.name if name is None else name
        role_label = i18n.gettext(lang, ROLE_LABELS.get(invitation.role, invitation.role)).lower()
    return render(request, None, "invitation_accept.html", status_code=status_code, token=token, error=error,
                  lang=lang, email=email, name=shown_name, workspace=workspace_name, role_label=role_label)


@router.get("/invitations/{token}")
def invitation_page(request: Request, token: str) -> Response:
    return _invitation_page(request, token)


@router.post("/invitations/{token}", dependencies=[Depends(check_csrf)])
def invitation_accept(request: Request, token: str, name: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "") -> Response:
    """Accept: the user is created and signed in (a new session); the link is used up."""
    runtime = get_runtime(request)
    lang = "en"
    with runtime.db.transaction() as session:
        mark_origin(request, session, "link", None)
        try:
            invitation = invitations.invitation_for_link(session, token, runtime.settings.secret_key)
        except invitations.InvitationRefused as exc:
            return _link_refused(request, "invitation", exc.reason, exc.status_code)
        lang = i18n.normalise(invitation.language)
        error: str | None = None
        if password != confirm:
            error = i18n.gettext(lang, "The two passwords differ.")
        else:
            try:
                with domain_action(session):
                    user = invitations.accept(session, runtime.publisher, token=token, password=password,
                                              name=name, secret_key=runtime.settings.secret_key)
                    sign_in(request, session, user, method="invitation")
            except invitations.InvitationRefused as exc:
                return _link_refused(request, "invitation", exc.reason, exc.status_code)
            except ComprisError as exc:
                error = i18n.error_text(lang, exc)
    if error:
        return _invitation_page(request, token, name=name, error=error, status_code=422)
    return redirect("/inbox")
