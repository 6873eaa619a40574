"""Connected channel accounts (never their credentials)."""

from __future__ import annotations

from fastapi import APIRouter

from compris.channels import queries
from compris.channels.schemas import ChannelList
from compris.web.api import serialize
from compris.web.api.common import Api, errors

router = APIRouter(tags=["channels"])


@router.get("/channels", response_model=ChannelList, summary="List channel accounts", responses=errors())
def list_channels(ctx: Api) -> ChannelList:
    """The workspace's connected accounts with each network's limits. Credentials are never returned."""
    accounts = queries.channel_accounts(ctx.session, ctx.user.workspace_id)
    return ChannelList(items=[serialize.channel(a) for a in accounts])
