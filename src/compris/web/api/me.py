"""Who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from compris.accounts.schemas import MeOut
from compris.models import Workspace
from compris.web.api import serialize
from compris.web.api.common import OwnAccountApi, errors

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut, summary="The token's user", responses=errors())
def me(ctx: OwnAccountApi) -> MeOut:
    """The user the token belongs to and their workspace. A cheap way to check a token."""
    workspace = ctx.session.get(Workspace, ctx.user.workspace_id)
    assert workspace is not None
    return serialize.me(ctx.user, workspace)
