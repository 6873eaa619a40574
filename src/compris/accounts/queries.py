"""Reads of accounts: a workspace's users, a user's API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import ApiToken, User


def workspace_users(session: Session, workspace_id: int) -> list[User]:
    """The active users of a workspace, by name."""
    return list(
        session.scalars(select(User).where(User.workspace_id == workspace_id, User.is_active).order_by(User.name))
    )


def all_users(session: Session, workspace_id: int) -> list[User]:
    """Every user of a workspace, deactivated ones too, by name."""
    return list(session.scalars(select(User).where(User.workspace_id == workspace_id).order_by(User.name, User.id)))


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """A user's own API tokens: the usable ones first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                       ApiToken.workspace_id == user.workspace_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))
