"""Admin pages to connect, edit and test channel accounts of every registered network.

``/admin/channels/connect/{network}`` (form built from the connector's ``secret_fields`` and
``setting_fields``), ``/admin/channels/{id}`` (webhook URL and verify token to paste, edit, last test),
``/admin/channels/{id}/test`` ("test connection": the network call runs outside any database transaction,
so that a slow platform never holds the database).
"""

from __future__ import annotations

from typing import Any

import anyio
from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from compris.accounts.permissions import Permission
from compris.channels import actions as channels
from compris.channels import forms
from compris.channels.accounts import connector_for, context
from compris.channels.queries import get_account
from compris.connectors import registry
from compris.connectors.base import Connector
from compris.kit.errors import ComprisError, NotFound
from compris.models import ChannelAccount
from compris.runtime import Runtime
from compris.web.deps import (
    ChannelsPage,
    NotSignedIn,
    PageContext,
    check_csrf,
    declared,
    get_runtime,
    note_signed_in,
    require,
    session_user,
)
from compris.web.pages.render import domain_action, language_of, redirect, render

router = APIRouter(include_in_schema=False)


def _page(request: Request, ctx: PageContext, network: str, account: ChannelAccount | None, *,
          form: dict[str, Any], error: str | None = None, saved: bool = False, status_code: int = 200) -> Response:
    connector = registry.get(network)
    specs = forms.field_specs(connector)
    variables: dict[str, Any] = {
        "network": network, "account": account, "fields": specs, "external": forms.external_id_spec(connector),
        "labels": {s.name: s.label for s in specs}, "form": form, "error": error, "saved": saved,
        "doc": f"docs/channels/{network}.md", "accepts_webhooks": connector.accepts_webhooks,
        "polled": connector.supports_polling, "secrets": {},
        "action": f"/admin/channels/{account.id}" if account else f"/admin/channels/connect/{network}",
    }
    if account is not None:
        variables["webhook_url"] = forms.webhook_url(ctx.runtime.settings.base_url, account)
        variables["secrets"] = forms.secret_views(ctx.runtime.settings.secret_key, account)
        variables["poll_status"] = _poll_status(connector, account, language_of(ctx, request))
    return render(request, ctx, "admin_channel.html", status_code=status_code, **variables)


def _poll_status(connector: Connector, account: ChannelAccount, lang: str) -> tuple[str, dict[str, object]] | None:
    """The connector's sentence on the account's polling (YouTube's quota), its numbers in the user's language."""
    if not connector.supports_polling:
        return None
    found = connector.poll_status_message(dict(account.poll_state or {}))
    if found is None:
        return None
    msgid, params = found
    return msgid, {k: format_decimal(v, locale=lang) if isinstance(v, int) and not isinstance(v, bool) else v
                   for k, v in params.items()}


def _account_form(account: ChannelAccount) -> dict[str, Any]:
    form: dict[str, Any] = {"name": account.name, "external_id": account.external_id,
                            "active": account.is_active}
    for key, value in (account.settings or {}).items():
        form[forms.SETTING_PREFIX + key] = str(value)
    return form


def _settings_only(raw: Any) -> dict[str, str]:
    """What a form may show again after an error: never a typed secret."""
    return {k: str(v) for k, v in raw.items()
            if isinstance(v, str) and not k.startswith(forms.SECRET_PREFIX) and k != "csrf_token"}


@router.get("/admin/channels/connect/{network}")
def connect_page(network: str, request: Request, ctx: ChannelsPage) -> Response:
    if network not in registry.connectors():
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return _page(request, ctx, network, None, form={})


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as plain strings (its field names depend on the network)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/admin/channels/connect/{network}")
def connect_account(network: str, request: Request, ctx: ChannelsPage,
                    raw: dict[str, str] = Depends(form_fields)) -> Response:
    if network not in registry.connectors():
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            account = channels.connect(
                ctx.session, ctx.runtime.settings.secret_key, workspace_id=ctx.user.workspace_id, network=network,
                name=raw.get("name", ""), external_id=raw.get("external_id", ""), form=raw,
                actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        return _page(request, ctx, network, None, form=_settings_only(raw), error=exc.message,
                     status_code=exc.status_code)
    return redirect(f"/admin/channels/{account.id}?saved=1")


@router.get("/admin/channels/{account_id:int}")
def account_page(account_id: int, request: Request, ctx: ChannelsPage,
                 saved: str = "") -> Response:
    try:
        account = get_account(ctx.session, ctx.user.workspace_id, account_id)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return _page(request, ctx, account.network, account, form=_account_form(account), saved=bool(saved))


@router.post("/admin/channels/{account_id:int}")
def update_account(account_id: int, request: Request, ctx: ChannelsPage,
                   raw: dict[str, str] = Depends(form_fields)) -> Response:
    try:
        account = get_account(ctx.session, ctx.user.workspace_id, account_id)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    try:
        with domain_action(ctx.session):
            channels.update(ctx.session, ctx.runtime.settings.secret_key, account, name=raw.get("name", ""),
                            external_id=raw.get("external_id", ""), active=bool(raw.get("active")), form=raw,
                            actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    except ComprisError as exc:
        ctx.session.refresh(account)
        form = {**_settings_only(raw), "active": bool(raw.get("active"))}
        return _page(request, ctx, account.network, account, form=form, error=exc.message,
                     status_code=exc.status_code)
    return redirect(f"/admin/channels/{account.id}?saved=1")


@router.post("/admin/channels/{account_id:int}/test", dependencies=[Depends(declared(Permission.MANAGE_CHANNELS))])
async def test_account(account_id: int, request: Request) -> Response:
    """Three steps, so that no transaction is open while the platform is called."""
    await check_csrf(request)
    runtime = get_runtime(request)
    prepared = await anyio.to_thread.run_sync(_prepare_check, runtime, request, account_id)
    if isinstance(prepared, Response):
        return prepared
    connector, ctx = prepared
    result = await anyio.to_thread.run_sync(channels.check, connector, ctx)
    return await anyio.to_thread.run_sync(_finish_check, runtime, request, account_id, result)


def _signed_in(runtime: Runtime, request: Request, session: Any) -> PageContext:
    user = session_user(request, session)
    if user is None:
        raise NotSignedIn()
    note_signed_in(request, user)
    return PageContext(user, session, runtime)


def _prepare_check(runtime: Runtime, request: Request, account_id: int) -> Response | tuple[Connector, Any]:
    with runtime.db.transaction() as session:
        ctx = require(_signed_in(runtime, request, session), Permission.MANAGE_CHANNELS)
        try:
            account = get_account(session, ctx.user.workspace_id, account_id)
        except NotFound:
            return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
        return connector_for(account), context(account, runtime.settings.secret_key)


def _finish_check(runtime: Runtime, request: Request, account_id: int, result: channels.CheckResult) -> Response:
    with runtime.db.transaction() as session:
        ctx = require(_signed_in(runtime, request, session), Permission.MANAGE_CHANNELS)
        try:
            account = get_account(session, ctx.user.workspace_id, account_id)
        except NotFound:
            return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
        channels.record_check(session, account, result, ctx.user.id, publisher=runtime.publisher)
        session.flush()
        return _page(request, ctx, account.network, account, form=_account_form(account),
                     status_code=200)
