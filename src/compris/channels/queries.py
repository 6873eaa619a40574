"""Reads of channel accounts, always scoped to a workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.kit.errors import NotFound
from compris.models import ChannelAccount


def channel_accounts(session: Session, workspace_id: int) -> list[ChannelAccount]:
    return list(
        session.scalars(
            select(ChannelAccount).where(ChannelAccount.workspace_id == workspace_id).order_by(ChannelAccount.name)
        )
    )


def get_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    account = session.scalar(
        select(ChannelAccount).where(ChannelAccount.id == account_id, ChannelAccount.workspace_id == workspace_id)
    )
    if account is None:
        raise NotFound("no such channel account")
    return account
