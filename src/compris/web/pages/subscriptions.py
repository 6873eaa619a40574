"""The outgoing webhooks admin page: subscriptions (create, edit, delete, rotate the secret, send a test event) and
each one's recent deliveries (redeliver a failed one). Handlers parse, call ``compris.subscriptions.actions`` and
render; a secret is shown once, in the answer to the request that made it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from compris.kit.errors import ComprisError, NotFound
from compris.models import WebhookSubscription
from compris.subscriptions import actions, catalogue, queries
from compris.web import i18n
from compris.web.deps import PageContext, SettingsPage
from compris.web.pages.render import domain_action, redirect, render

router = APIRouter(include_in_schema=False)


def _event_types() -> list[tuple[str, str]]:
    return [(t, catalogue.DESCRIPTIONS[t]) for t in catalogue.TYPES]


def _allow_local(ctx: PageContext) -> bool:
    return ctx.runtime.settings.allow_local_http_endpoints


def _list_page(request: Request, ctx: PageContext, *, error: str | None = None, form: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    rows = queries.list_subscriptions(ctx.session, ctx.user.workspace_id)
    return render(request, ctx, "admin_webhooks.html", status_code=status_code, subscriptions=rows,
                  event_types=_event_types(), error=error,
                  form=form or {"url": "", "description": "", "event_types": ["*"]})


def _edit_page(request: Request, ctx: PageContext, row: WebhookSubscription, *, error: str | None = None,
               form: dict[str, Any] | None = None, new_secret: str | None = None, notice: str | None = None,
               status_code: int = 200) -> Response:
    deliveries = queries.recent_deliveries(ctx.session, ctx.user.workspace_id, row.id)
    return render(request, ctx, "admin_webhooks_edit.html", status_code=status_code, sub=row,
                  event_types=_event_types(), error=error, new_secret=new_secret, notice=notice,
                  secret_hint=queries.secret_hint(ctx.runtime.settings.secret_key, row), deliveries=deliveries,
                  pretty=lambda payload: json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False),
                  form=form or {"url": row.url, "description": row.description,
                                "event_types": list(row.event_types), "is_active": row.is_active})


def _subscription(ctx: PageContext, subscription_id: int) -> WebhookSubscription | None:
    try:
        return queries.get_subscription(ctx.session, ctx.user.workspace_id, subscription_id)
    except NotFound:
        return None


def _not_found(request: Request, ctx: PageContext) -> Response:
    return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")


def _error(ctx: PageContext, exc: ComprisError) -> str:
    return i18n.error_text(ctx.user.language, exc)


@router.get("/admin/webhooks")
def webhooks_page(request: Request, ctx: SettingsPage) -> Response:
    return _list_page(request, ctx)


@router.post("/admin/webhooks")
def create_webhook(
    request: Request,
    ctx: SettingsPage,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {"url": url, "description": description, "event_types": event_types or []}
    try:
        with domain_action(ctx.session):
            row, secret = actions.create_subscription(
                ctx.session, ctx.runtime.publisher, actor=ctx.user, secret_key=ctx.runtime.settings.secret_key,
                url=url, event_types=event_types or [], description=description,
                allow_local_http=_allow_local(ctx))
    except ComprisError as exc:
        return _list_page(request, ctx, error=_error(ctx, exc), form=form, status_code=exc.status_code)
    return _edit_page(request, ctx, row, new_secret=secret, status_code=201)


@router.get("/admin/webhooks/{subscription_id:int}")
def webhook_page(subscription_id: int, request: Request, ctx: SettingsPage, done: str = "") -> Response:
    row = _subscription(ctx, subscription_id)
    if row is None:
        return _not_found(request, ctx)
    return _edit_page(request, ctx, row, notice=done if done in ("saved", "pinged", "redelivered") else None)


@router.post("/admin/webhooks/{subscription_id:int}")
def update_webhook(
    subscription_id: int,
    request: Request,
    ctx: SettingsPage,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    is_active: Annotated[str, Form()] = "",
) -> Response:
    row = _subscription(ctx, subscription_id)
    if row is None:
        return _not_found(request, ctx)
    form = {"url": url, "description": description, "event_types": event_types or [], "is_active": bool(is_active)}
    try:
        with domain_action(ctx.session):
            actions.update_subscription(ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row,
                                        url=url, description=description, event_types=event_types or [],
                                        is_active=bool(is_active), allow_local_http=_allow_local(ctx))
    except ComprisError as exc:
        ctx.session.refresh(row)
        return _edit_page(request, ctx, row, error=_error(ctx, exc), form=form, status_code=exc.status_code)
    return redirect(f"/admin/webhooks/{row.id}?done=saved")


def _write(request: Request, ctx: PageContext, subscription_id: int,
           write: Callable[[WebhookSubscription], object], done: str) -> Response:
    row = _subscription(ctx, subscription_id)
    if row is None:
        return _not_found(request, ctx)
    try:
        with domain_action(ctx.session):
            write(row)
    except ComprisError as exc:
        return _edit_page(request, ctx, row, error=_error(ctx, exc), status_code=exc.status_code)
    return redirect(f"/admin/webhooks/{row.id}?done={done}")


@router.post("/admin/webhooks/{subscription_id:int}/rotate")
def rotate_secret(subscription_id: int, request: Request, ctx: SettingsPage) -> Response:
    row = _subscription(ctx, subscription_id)
    if row is None:
        return _not_found(request, ctx)
    secret = actions.rotate_secret(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                   secret_key=ctx.runtime.settings.secret_key, subscription=row)
    return _edit_page(request, ctx, row, new_secret=secret)


@router.post("/admin/webhooks/{subscription_id:int}/ping")
def ping(subscription_id: int, request: Request, ctx: SettingsPage) -> Response:
    return _write(request, ctx, subscription_id, lambda row: actions.send_ping(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row), "pinged")


@router.post("/admin/webhooks/{subscription_id:int}/deliveries/{delivery_id:int}/redeliver")
def redeliver(subscription_id: int, delivery_id: int, request: Request, ctx: SettingsPage) -> Response:
    def write(row: WebhookSubscription) -> object:
        delivery = queries.get_delivery(ctx.session, ctx.user.workspace_id, row.id, delivery_id)
        return actions.redeliver(ctx.session, ctx.runtime.publisher, actor=ctx.user, delivery=delivery)

    return _write(request, ctx, subscription_id, write, "redelivered")


@router.post("/admin/webhooks/{subscription_id:int}/delete")
def delete_webhook(subscription_id: int, request: Request, ctx: SettingsPage) -> Response:
    row = _subscription(ctx, subscription_id)
    if row is not None:  # a second click finds it gone: no error
        actions.delete_subscription(ctx.session, ctx.runtime.publisher, actor=ctx.user, subscription=row)
    return redirect("/admin/webhooks")
