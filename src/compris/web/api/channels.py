"""Channel accounts: the connected accounts (everyone), and for admins connecting, editing and testing one, and its
published expected wait.

The same actions as the admin pages (``compris.channels.actions``, ``compris.sla.actions.set_publication``): each
change is checked, audited and announced. Credentials are write-only: answered redacted, never logged.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from compris.accounts.permissions import Permission
from compris.channels import actions, forms, queries
from compris.channels.accounts import connector_for, context
from compris.channels.schemas import (
    ChannelAccountIn,
    ChannelAccountOut,
    ChannelAccountPatch,
    ChannelCheckOut,
    ChannelList,
    SecretOut,
    WaitPublicationOut,
    WaitPublicationPatch,
)
from compris.connectors import registry
from compris.connectors.base import AccountContext, Connector
from compris.kit.clock import now
from compris.kit.errors import Invalid
from compris.models import ChannelAccount, WaitPublication
from compris.runtime import Runtime
from compris.sla import actions as sla_actions
from compris.sla import wait
from compris.web.api import serialize
from compris.web.api.common import ChannelsApi, ReadCasesApi, bearer, errors, require_api
from compris.web.deps import PageContext, api_user, declared, get_runtime

router = APIRouter(tags=["channels"])

AccountId = Annotated[int, Path(description="The channel account's id (see `GET /channels`).", examples=[3])]
NOT_FOUND = "No such channel account in your workspace."


@router.get("/channels", response_model=ChannelList, summary="List channel accounts", responses=errors())
def list_channels(ctx: ReadCasesApi) -> ChannelList:
    """The workspace's connected accounts with each network's limits. Credentials are never returned."""
    accounts = queries.channel_accounts(ctx.session, ctx.user.workspace_id)
    return ChannelList(items=[serialize.channel(a) for a in accounts])


def _account(runtime: Runtime, account: ChannelAccount) -> ChannelAccountOut:
    try:
        connector: Connector | None = connector_for(account)
    except registry.UnknownNetwork:  # its connector was uninstalled: the account is shown, its secrets are not
        connector = None
    views = forms.secret_views(runtime.settings.secret_key, account) if connector else {}
    check = None
    if account.checked_at is not None:
        check = ChannelCheckOut(ok=bool(account.check_ok), message=account.check_result or "",
                                checked_at=account.checked_at)
    return ChannelAccountOut(
        **serialize.channel(account).model_dump(),
        settings={k: str(v) for k, v in (account.settings or {}).items()},
        secrets=[SecretOut(name=v.name, is_set=bool(v.shown), shown=v.shown, in_full=v.in_full)
                 for v in views.values()],
        webhook_url=forms.webhook_url(runtime.settings.base_url, account)
        if connector is not None and connector.accepts_webhooks else None, last_check=check)


@router.post("/channels", status_code=201, response_model=ChannelAccountOut, summary="Connect a channel account",
             responses=errors(403, 409, 422))
def connect_channel(body: ChannelAccountIn, ctx: ChannelsApi) -> ChannelAccountOut:
    """Connect an account of an installed network with its settings and credentials (stored encrypted, answered
    redacted). The same account (network and id) connected twice is a conflict (409)."""
    account = actions.connect_account(
        ctx.session, ctx.runtime.settings.secret_key, workspace_id=ctx.user.workspace_id, network=body.network,
        name=body.name, external_id=body.external_id, settings=body.settings, secrets=body.secrets,
        actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    return _account(ctx.runtime, account)


@router.get("/channels/{account_id}", response_model=ChannelAccountOut, summary="Read a channel account",
            responses=errors(403, 404, 422, not_found=NOT_FOUND))
def get_channel(account_id: AccountId, ctx: ChannelsApi) -> ChannelAccountOut:
    """The account with its settings, which credentials are set (redacted), its webhook URL and its last test."""
    return _account(ctx.runtime, queries.get_account(ctx.session, ctx.user.workspace_id, account_id))


@router.patch("/channels/{account_id}", response_model=ChannelAccountOut, summary="Change a channel account",
              responses=errors(403, 404, 409, 422, not_found=NOT_FOUND))
def update_channel(account_id: AccountId, body: ChannelAccountPatch, ctx: ChannelsApi) -> ChannelAccountOut:
    """Change the fields given: rename, change settings, replace credentials, disable or enable."""
    account = queries.get_account(ctx.session, ctx.user.workspace_id, account_id)
    actions.change_account(ctx.session, ctx.runtime.settings.secret_key, account, name=body.name,
                           external_id=body.external_id, settings=body.settings, secrets=body.secrets,
                           active=body.is_active, actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    return _account(ctx.runtime, account)


def _admin(request: Request, session: Session) -> PageContext:
    return require_api(request, api_user(request, session), Permission.MANAGE_CHANNELS)


def _prepare_check(runtime: Runtime, request: Request, account_id: int) -> tuple[Connector, AccountContext]:
    with runtime.db.transaction() as session:
        ctx = _admin(request, session)
        account = queries.get_account(session, ctx.user.workspace_id, account_id)
        try:
            return connector_for(account), context(account, runtime.settings.secret_key)
        except registry.UnknownNetwork:
            raise Invalid(f"the {account.network!r} connector is not installed on this server") from None


def _finish_check(runtime: Runtime, request: Request, account_id: int,
                  result: actions.CheckResult) -> ChannelCheckOut:
    with runtime.db.transaction() as session:
        ctx = _admin(request, session)
        account = queries.get_account(session, ctx.user.workspace_id, account_id)
        actions.record_check(session, account, result, ctx.user.id, publisher=runtime.publisher)
        return ChannelCheckOut(ok=result.ok, message=result.message, checked_at=account.checked_at or now())


@router.post("/channels/{account_id}/test", response_model=ChannelCheckOut, summary="Test a channel account",
             responses=errors(403, 404, 422, not_found=NOT_FOUND),
             dependencies=[Depends(declared(Permission.MANAGE_CHANNELS))])
async def test_channel(account_id: AccountId, request: Request,
                       _credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> ChannelCheckOut:
    """The network's harmless test call with the stored credentials (it reads the account, it never posts); the
    answer is kept on the account. A failed test is still a `200`, with `ok` false and the network's reason.

    No database transaction is open while the network answers (up to 8 seconds)."""
    runtime = get_runtime(request)
    connector, account_ctx = await anyio.to_thread.run_sync(_prepare_check, runtime, request, account_id)
    result = await anyio.to_thread.run_sync(actions.check, connector, account_ctx)
    return await anyio.to_thread.run_sync(_finish_check, runtime, request, account_id, result)


# --- the published expected wait ---------------------------------------------------------------------------


def _publication(runtime: Runtime, account: ChannelAccount, pub: WaitPublication | None) -> WaitPublicationOut:
    if pub is None:
        return WaitPublicationOut(channel_account_id=account.id, published=False, public_id=None, json_url=None,
                                  badge_url=None, auto_ack=False)
    url = f"{runtime.settings.base_url.rstrip('/')}/public/wait/{pub.public_id}"
    return WaitPublicationOut(channel_account_id=account.id, published=True, public_id=pub.public_id, json_url=url,
                              badge_url=url + ".svg", auto_ack=pub.auto_ack)


@router.get("/channels/{account_id}/wait-publication", response_model=WaitPublicationOut,
            summary="Read the published expected wait", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def get_publication(account_id: AccountId, ctx: ChannelsApi) -> WaitPublicationOut:
    """Where the account's expected wait is published, and whether new cases are acknowledged with it."""
    account = queries.get_account(ctx.session, ctx.user.workspace_id, account_id)
    return _publication(ctx.runtime, account, wait.publication_for(ctx.session, account))


@router.patch("/channels/{account_id}/wait-publication", response_model=WaitPublicationOut,
              summary="Publish the expected wait, or change it", responses=errors(403, 404, 422, not_found=NOT_FOUND))
def update_publication(account_id: AccountId, body: WaitPublicationPatch, ctx: ChannelsApi) -> WaitPublicationOut:
    """Publishes the expected wait if it is not yet (`{}` is enough); `auto_ack` turns the automatic
    acknowledgement on or off; `regenerate` gives a new public id (the old links stop working)."""
    account = queries.get_account(ctx.session, ctx.user.workspace_id, account_id)
    pub = sla_actions.set_publication(ctx.session, ctx.runtime.publisher, actor=ctx.user, account_id=account.id,
                                      auto_ack=body.auto_ack, regenerate=body.regenerate)
    return _publication(ctx.runtime, account, pub)
