"""Admin pages: channel accounts (webhook URLs, connect a sandbox account) and Deliveries (the deliveries set
aside as unprocessable, or stuck, each with its reason and a replay button)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from compris.channels.actions import create_account
from compris.channels.forms import networks
from compris.channels.queries import channel_accounts
from compris.inbox import ingest
from compris.kit.errors import ComprisError, Conflict, NotFound
from compris.models import ChannelAccount, RawEventStatus
from compris.web.deps import ChannelsPage, PageContext
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)

BODY_SHOWN = 2000
RAW_EVENTS_SHOWN = 100


def _channels(request: Request, ctx: PageContext, *, error: str | None = None, form: dict[str, str] | None = None,
              status_code: int = 200) -> Response:
    base = ctx.runtime.settings.base_url.rstrip("/")
    accounts = channel_accounts(ctx.session, ctx.user.workspace_id)
    return render(request, ctx, "admin_channels.html", status_code=status_code, accounts=accounts, networks=networks(),
                  webhook_url=lambda a: f"{base}/webhooks/{a.id}", error=error,
                  form=form or {"name": "", "external_id": "", "api_base": f"{base}/sandbox-network"})


@router.get("/admin/channels")
def channels_page(request: Request, ctx: ChannelsPage) -> Response:
    return _channels(request, ctx)


@router.post("/admin/channels/sandbox")
def connect_sandbox(
    request: Request,
    ctx: ChannelsPage,
    name: Annotated[str, Form()] = "",
    external_id: Annotated[str, Form()] = "",
    api_base: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "external_id": external_id, "api_base": api_base}
    if not api_base.startswith(("http://", "https://")):
        return _channels(request, ctx, error="api_base", form=form, status_code=422)
    try:
        with domain_action(ctx.session):
            create_account(
                ctx.session, ctx.runtime.settings.secret_key, workspace_id=ctx.user.workspace_id,
                network="sandbox", name=name, external_id=external_id, settings={"api_base": api_base.rstrip("/")},
                secrets={"webhook_secret": "whsec_" + secrets.token_urlsafe(24),
                         "api_token": "sbx_" + secrets.token_urlsafe(24)},
                actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher,
            )
    except ComprisError as exc:
        return _channels(request, ctx, error=exc.message, form=form, status_code=422)
    return redirect("/admin/channels")


#: the result messages of a replay (``?done=``), shown above the list
REPLAY_NOTICES = {
    "queued": "The delivery is queued for processing again: it leaves this list once processed, or comes back "
              "with its new reason.",
    "pending": "This delivery is already waiting for processing: nothing was added.",
    "processed": "This delivery was already processed: it is never processed twice.",
    "missing": "No such delivery in your workspace.",
}


@router.get("/admin/deliveries")
def deliveries_page(request: Request, ctx: ChannelsPage, done: str = "") -> Response:
    rows = ingest.set_aside(ctx.session, ctx.user.workspace_id, RAW_EVENTS_SHOWN)
    names = {a.id: a for a in ctx.session.scalars(
        select(ChannelAccount).where(ChannelAccount.workspace_id == ctx.user.workspace_id))}
    events = [
        {
            "event": e,
            "account": names.get(e.channel_account_id),
            "body": bytes(e.body[:BODY_SHOWN]).decode("utf-8", errors="replace"),
            "truncated": len(e.body) > BODY_SHOWN,
            "size": len(e.body),
            "stuck": e.status == RawEventStatus.PENDING,
        }
        for e in rows
    ]
    return render(request, ctx, "admin_raw_events.html", events=events, notice=REPLAY_NOTICES.get(done),
                  notice_kind=done)


@router.get("/admin/raw-events")
def raw_events_page(ctx: ChannelsPage) -> Response:
    """The page's former address (Admin → Raw events)."""
    return RedirectResponse("/admin/deliveries", status_code=301)


@router.post("/admin/deliveries/{raw_event_id:int}/replay")
def replay_delivery(raw_event_id: int, ctx: ChannelsPage) -> Response:
    """Process a delivery set aside again (POST, CSRF-checked, admins); the page says what happened."""
    try:
        with domain_action(ctx.session):
            result = ingest.replay(ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id,
                                   raw_event_id=raw_event_id, actor_user_id=ctx.user.id)
    except NotFound:
        return redirect("/admin/deliveries?done=missing")
    except Conflict:
        return redirect("/admin/deliveries?done=processed")
    return redirect(f"/admin/deliveries?done={result.outcome}")
