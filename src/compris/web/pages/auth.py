"""Login, logout, and ``/`` → ``/inbox``."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from compris.accounts.actions import LoginRateLimited, authenticate
from compris.models import User
from compris.web.deps import check_csrf, get_runtime, session_user, sign_in
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
    ip = request.client.host if request.client else "unknown"

    def check() -> User | None:
        with runtime.db.transaction() as session:
            user = authenticate(session, email, password, ip=ip, max_failures=runtime.settings.login_max_failures)
            if user is not None:
                session.expunge(user)
            return user

    lang = language_of(None, request)
    try:
        user = await anyio.to_thread.run_sync(check)
    except LoginRateLimited:
        return render(request, None, "login.html", status_code=429, next=target, email=email,
                      error="rate_limited", headers={"Retry-After": "900"}, lang=lang)
    if user is None:
        return render(request, None, "login.html", status_code=401, next=target, email=email, error="invalid",
                      lang=lang)
    sign_in(request, user)
    return redirect(target)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return redirect("/login")
