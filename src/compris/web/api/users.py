"""The workspace's users (admins): list, create, change a role, deactivate or reactivate.

The same actions as the CLI (``compris.accounts.actions``): each change is checked, audited and announced. A
password is write-only: never answered, never logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from compris.accounts import actions, queries
from compris.accounts.schemas import UserIn, UserList, UserOut, UserPatch
from compris.models import User, Workspace
from compris.web.api.common import PeopleApi, errors

router = APIRouter(tags=["users"])

UserId = Annotated[int, Path(description="The user's id (see `GET /users`).", examples=[7])]


def _user(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=user.role,  # type: ignore[arg-type]
                   language=user.language, is_active=user.is_active, last_login_at=user.last_login_at,
                   created_at=user.created_at)


@router.get("/users", response_model=UserList, summary="List users", responses=errors(403))
def list_users(ctx: PeopleApi) -> UserList:
    """Every user of the workspace, deactivated ones too, by name."""
    return UserList(items=[_user(u) for u in queries.all_users(ctx.session, ctx.user.workspace_id)])


@router.post("/users", status_code=201, response_model=UserOut, summary="Create a user",
             responses=errors(403, 409, 422))
def create_user(body: UserIn, ctx: PeopleApi) -> UserOut:
    """A user with a role and a password (at least 10 characters; stored hashed, never answered). An e-mail
    already in use on this server is a conflict (409)."""
    workspace = ctx.session.get(Workspace, ctx.user.workspace_id)
    assert workspace is not None
    user = actions.create_user(ctx.session, workspace=workspace, email=body.email, name=body.name,
                               password=body.password, role=body.role, language=body.language,
                               actor_user_id=ctx.user.id, publisher=ctx.runtime.publisher)
    return _user(user)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a user's role, deactivate or reactivate",
              responses=errors(403, 404, 409, 422, not_found="No such user in your workspace."))
def update_user(user_id: UserId, body: UserPatch, ctx: PeopleApi) -> UserOut:
    """Change the fields given. Demoting or deactivating the workspace's last active admin (yourself included) is
    a conflict (409)."""
    user = actions.update_user(ctx.session, actor=ctx.user, user_id=user_id, role=body.role, active=body.is_active,
                               publisher=ctx.runtime.publisher)
    return _user(user)
