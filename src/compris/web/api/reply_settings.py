"""The workspace's tone of voice and reply guard settings (admins): the same action as ``/admin/tone``."""

from __future__ import annotations

from fastapi import APIRouter

from compris.models import Role
from compris.replies import actions, queries
from compris.replies.schemas import ReplySettingsIn, ReplySettingsOut
from compris.web.api.common import ManageDeskApi, errors
from compris.web.deps import PageContext

router = APIRouter(tags=["replies"])


def _out(ctx: PageContext) -> ReplySettingsOut:
    current = queries.workspace_reply_settings(ctx.session, ctx.user.workspace_id)
    return ReplySettingsOut(tone_guide=current.tone_guide, guard=dict(current.guard_data),
                            permissions={role.value: sorted(current.permissions_for(role.value)) for role in Role})


@router.get("/reply-settings", response_model=ReplySettingsOut, summary="Read the reply settings",
            responses=errors(403))
def get_reply_settings(ctx: ManageDeskApi) -> ReplySettingsOut:
    """The tone-of-voice guide, the reply guard's settings and what each role may promise."""
    return _out(ctx)


@router.put("/reply-settings", response_model=ReplySettingsOut, summary="Replace the reply settings",
            responses=errors(403, 422))
def put_reply_settings(body: ReplySettingsIn, ctx: ManageDeskApi) -> ReplySettingsOut:
    """Replace the tone-of-voice guide, the guard's settings and the roles' promises. Unknown rules, roles or
    promises and an invalid sign-off pattern are refused (422)."""
    actions.save_reply_settings(ctx.session, actor=ctx.user, tone_guide=body.tone_guide, guard_data=body.guard,
                                permissions={str(k): v for k, v in body.permissions.items()},
                                publisher=ctx.runtime.publisher)
    return _out(ctx)
