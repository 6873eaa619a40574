"""Login, logout, and ``/`` → ``/inbox``. Sessions are kept on the server (``accounts.start_session``): the signed
cookie carries only the session's random id."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from compris.accounts.actions import LoginRateLimited, finish_login, reserve_login
from compris.web.deps import (
    check_csrf,
    client_ip,
    get_runtime,
    note_login_failed,
    session_user,
    sign_in,
    sign_out,
)
from compris.web.pages.render import language_of, redirect, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> Response:
    return redirect("/inbox")


@router.get("/login")
def login_page(request: Request, next: str = "/inbox") -> Response:
    with get_runtime(request).db.transaction() as session:
        if session_user(request, session) is not None:
            return redirect(safe_next(next))
    return render(request, None, "login.html", next=safe_next(next), email="", error=None)


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
                      error="rate_limited", headers={"Retry-After": "900"}, lang=lang)
    if not ok:
        return render(request, None, "login.html", status_code=401, next=target, email=email, error="invalid",
                      lang=lang)
    return redirect(target)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    """Sign out everywhere: every session of the user ends on the server, not only this browser's cookie."""
    with get_runtime(request).db.transaction() as session:
        sign_out(request, session)
    return redirect("/login")
