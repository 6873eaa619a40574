"""The outgoing mail admin page: SMTP settings, a test mail, the log of mails sent (bodies shown escaped; their
links clickable, so that a demo user can open a partner's portal link from a captured mail)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.kit.errors import ComprisError, Invalid
from compris.mail import actions, queries
from compris.models import MailState, OutgoingMail
from compris.web.deps import PageContext, SettingsPage
from compris.web.pages.render import domain_action, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

LOG_SHOWN = 50
_URL = re.compile(r"https?://[^\s<>\"']+")


def text_parts(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``("text", …)`` and ``("url", …)`` parts: the template escapes both and links the URLs."""
    parts: list[tuple[str, str]] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        if match.start() > at:
            parts.append(("text", text[at:match.start()]))
        parts.append(("url", url))
        at = match.start() + len(url)
    if at < len(text):
        parts.append(("text", text[at:]))
    return parts


def _pending(mails: list[OutgoingMail]) -> bool:
    return any(m.state in (MailState.QUEUED, MailState.SENDING) for m in mails)


def _page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200,
          test_id: int | None = None) -> Response:
    ws = ctx.user.workspace_id
    mails = queries.mails(ctx.session, ws, limit=LOG_SHOWN)
    return render(request, ctx, "admin_mail.html", status_code=status_code, settings=queries.settings_of(
        ctx.session, ws), mails=mails, pending=_pending(mails), error=error, redacted=actions.REDACTED,
        test=queries.mail_of(ctx.session, ws, test_id) if test_id else None, parts=text_parts)


@router.get("/admin/mail")
def mail_page(request: Request, ctx: SettingsPage, test: int | None = None) -> Response:
    return _page(request, ctx, test_id=test)


@router.get("/admin/mail/log")
def mail_log(request: Request, ctx: SettingsPage) -> Response:
    """The log alone (htmx refreshes it while a mail is on its way)."""
    if not is_htmx(request):
        return redirect("/admin/mail#mail-log")
    mails = queries.mails(ctx.session, ctx.user.workspace_id, limit=LOG_SHOWN)
    return render(request, ctx, "admin_mail_log.html", mails=mails, pending=_pending(mails), parts=text_parts)


@router.post("/admin/mail")
def save_mail_settings(
    request: Request,
    ctx: SettingsPage,
    host: Annotated[str, Form()] = "",
    port: Annotated[str, Form()] = "587",
    security: Annotated[str, Form()] = "starttls",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    clear_password: Annotated[str, Form()] = "",
    from_address: Annotated[str, Form()] = "",
    from_name: Annotated[str, Form()] = "",
    reply_address: Annotated[str, Form()] = "",
) -> Response:
    try:
        with domain_action(ctx.session):
            if not port.strip().isdigit():
                raise Invalid("the port must be between 1 and 65535")
            actions.save_settings(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                  secret_key=ctx.runtime.settings.secret_key, host=host, port=int(port),
                                  security=security, username=username, password=password or None,
                                  clear_password=bool(clear_password), from_address=from_address,
                                  from_name=from_name, reply_address=reply_address)
    except ComprisError as exc:
        return _page(request, ctx, error=exc.message, status_code=422)
    return redirect("/admin/mail?saved=1")


@router.post("/admin/mail/test")
def send_test(request: Request, ctx: SettingsPage, to: Annotated[str, Form()] = "") -> Response:
    try:
        with domain_action(ctx.session):
            mail = actions.send_test_mail(ctx.session, ctx.runtime.publisher, actor=ctx.user, to=to or None)
    except ComprisError as exc:
        return _page(request, ctx, error=exc.message, status_code=422)
    return redirect(f"/admin/mail?test={mail.id}#mail-log")
