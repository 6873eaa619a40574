"""The workspace's people (admins): users (list, create, change a role, teams and skills, deactivate or
reactivate) and invitations (list, invite, re-send, revoke).

The same actions as the people page and the CLI (``compris.accounts``, ``compris.routing``): each change is checked,
audited and announced. A password is write-only: never answered, never logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.accounts import actions, invitations, queries
from compris.accounts.schemas import (
    InvitationIn,
    InvitationList,
    InvitationOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from compris.models import Invitation, User, Workspace
from compris.web.api.common import PeopleApi, errors
from compris.web.deps import PageContext
from compris.web.pages.people import apply_changes

router = APIRouter(tags=["users"])

UserId = Annotated[int, Path(description="The user's id (see `GET /users`).", examples=[7])]
InvitationId = Annotated[int, Path(description="The invitation's id (see `GET /invitations`).", examples=[4])]


def _user(user: User, team_ids: list[int] | None = None) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=user.role,  # type: ignore[arg-type]
                   language=user.language, is_active=user.is_active, last_login_at=user.last_login_at,
                   created_at=user.created_at, team_ids=team_ids or [], sso_linked=bool(user.oidc_subject))


def _one(ctx: PageContext, user: User) -> UserOut:
    return _user(user, queries.team_ids_by_user(ctx.session, ctx.user.workspace_id).get(user.id, []))


def _invitation(ctx: PageContext, invitation: Invitation) -> InvitationOut:
    state = invitations.status_of(invitation)
    link = invitations.link_for(invitation, base_url=ctx.runtime.settings.base_url,
                                secret_key=ctx.runtime.settings.secret_key) if state == "pending" else None
    return InvitationOut(id=invitation.id, email=invitation.email, name=invitation.name,
                         role=invitation.role,  # type: ignore[arg-type]
                         team_ids=[int(t) for t in invitation.team_ids or []], language=invitation.language,
                         state=state, expires_at=invitation.expires_at,  # type: ignore[arg-type]
                         sent_at=invitation.sent_at, accepted_at=invitation.accepted_at,
                         revoked_at=invitation.revoked_at, created_at=invitation.created_at, link=link)


@router.get("/users", response_model=UserList, summary="List users", responses=errors(403))
def list_users(ctx: PeopleApi) -> UserList:
    """Every user of the workspace, deactivated ones too, by name, with their teams."""
    teams = queries.team_ids_by_user(ctx.session, ctx.user.workspace_id)
    return UserList(items=[_user(u, teams.get(u.id, [])) for u in queries.all_users(ctx.session,
                                                                                    ctx.user.workspace_id)])


@router.post("/users", status_code=201, response_model=UserOut, summary="Create a user",
             responses=errors(403, 409, 422))
def create_user(body: UserIn, ctx: PeopleApi) -> UserOut:
    """A user with a role and a password (at least 10 characters; stored hashed, never answered). An e-mail
    already in use on this server is a conflict (409). To let people choose their own password, invite them
    instead (`POST /invitations`)."""
    workspace = ctx.session.get(Workspace, ctx.user.workspace_id)
    assert workspace is not None
    user = actions.create_user(ctx.session, workspace=workspace, email=body.email, name=body.name,
                               password=body.password, role=body.role, language=body.language,
                               actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    return _user(user)


@router.patch("/users/{user_id}", response_model=UserOut,
              summary="Change a user's role, teams or skills, deactivate or reactivate",
              responses=errors(403, 404, 409, 422, not_found="No such user (or team) in your workspace."))
def update_user(user_id: UserId, body: UserPatch, ctx: PeopleApi) -> UserOut:
    """Change the fields given. Demoting or deactivating the workspace's last active admin (yourself included) is
    a conflict (409). Deactivating ends the user's sessions and revokes their API tokens at once."""
    user = apply_changes(ctx, user_id, role=body.role, team_ids=body.team_ids, languages=body.languages,
                         networks=body.networks)
    if body.is_active is not None:
        user = actions.update_user(ctx.session, actor=ctx.user, user_id=user_id, active=body.is_active,
                                   publisher=ctx.runtime.publisher)
    return _one(ctx, user)


@router.get("/invitations", response_model=InvitationList, summary="List invitations", responses=errors(403))
def list_invitations(ctx: PeopleApi) -> InvitationList:
    """Every invitation of the workspace (pending, accepted, revoked, expired), newest first; the pending ones
    with their link."""
    return InvitationList(items=[_invitation(ctx, i)
                                 for i in queries.all_invitations(ctx.session, ctx.user.workspace_id)])


@router.post("/invitations", status_code=201, response_model=InvitationOut, summary="Invite someone",
             responses=errors(403, 409, 422))
def invite(body: InvitationIn, ctx: PeopleApi) -> InvitationOut:
    """E-mail an invitation (when the workspace has outgoing mail; `sent_at` says so) with a link valid 7 days.
    The answer carries the link, to hand over when no mail was sent. An e-mail already a user's, or with a
    pending invitation, is a conflict (409)."""
    invitation, _ = invitations.invite(
        ctx.session, ctx.runtime.publisher, workspace_id=ctx.user.workspace_id, email=body.email, name=body.name,
        role=body.role, team_ids=body.team_ids, language=body.language, invited_by=ctx.user,
        base_url=ctx.runtime.settings.base_url, secret_key=ctx.runtime.settings.secret_key)
    return _invitation(ctx, invitation)


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut, summary="Re-send an invitation",
             responses=errors(403, 404, 409, 422, not_found="No such invitation in your workspace."))
def resend(invitation_id: InvitationId, ctx: PeopleApi) -> InvitationOut:
    """A new link, valid 7 more days (the previous link stops working), e-mailed again. An accepted or revoked
    invitation is a conflict (409)."""
    invitation, _ = invitations.resend(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                       invitation_id=invitation_id, base_url=ctx.runtime.settings.base_url,
                                       secret_key=ctx.runtime.settings.secret_key)
    return _invitation(ctx, invitation)


@router.post("/invitations/{invitation_id}/revoke", response_model=InvitationOut, summary="Revoke an invitation",
             responses=errors(403, 404, 409, 422, not_found="No such invitation in your workspace."))
def revoke(invitation_id: InvitationId, ctx: PeopleApi) -> InvitationOut:
    """Its link stops working at once. An accepted invitation is a conflict (409); revoking twice changes
    nothing."""
    return _invitation(ctx, invitations.revoke(ctx.session, ctx.runtime.publisher, actor=ctx.user,
                                               invitation_id=invitation_id))
