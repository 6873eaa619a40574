"""``/settings/sessions``: "Your sessions" — where you are signed in (created, last seen, IP, browser), this
device marked; sign out one of them, or every other one."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from compris.accounts.actions import sign_out_other_sessions, sign_out_session
from compris.accounts.queries import open_sessions
from compris.kit.errors import NotFound
from compris.web.deps import OwnAccountPage
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)


def _current(request: Request) -> str | None:
    raw = request.session.get("sid")
    return raw if isinstance(raw, str) else None


@router.get("/settings/sessions")
def sessions_page(request: Request, ctx: OwnAccountPage, done: str = "") -> Response:
    idle = timedelta(seconds=ctx.runtime.settings.session_idle_timeout)
    rows = open_sessions(ctx.session, ctx.user, idle=idle, current=_current(request))
    ended = int(done) if done.isdigit() else None
    return render(request, ctx, "sessions.html", sessions=rows, ended=ended)


# before "/{session_id}/end", which would take "others" for an id
@router.post("/settings/sessions/others/end")
def end_others(request: Request, ctx: OwnAccountPage) -> Response:
    """Sign out everywhere but here."""
    current = _current(request) or ""
    with domain_action(ctx.session):
        count = sign_out_other_sessions(ctx.session, ctx.user, current, publisher=ctx.runtime.publisher)
    return redirect(f"/settings/sessions?done={count}")


@router.post("/settings/sessions/{session_id}/end")
def end_one(session_id: int, request: Request, ctx: OwnAccountPage) -> Response:
    """Sign out one session (this browser's own too: then this browser is signed out)."""
    try:
        with domain_action(ctx.session):
            sign_out_session(ctx.session, ctx.user, session_id, publisher=ctx.runtime.publisher)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return redirect("/settings/sessions?done=1")
