from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class ChannelAccount(WorkspaceScoped, Base):
    """One connected account on a network (an X handle, a Facebook page, a mailbox...)."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "external_id"),)

    network: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Fernet token of a JSON object; never rendered, never logged.
    secrets_encrypted: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    always_on: Mapped[bool] = mapped_column(default=True)  # customers expect answers 24/7 here
    # polled networks (e-mail): the connector's state after the last committed poll, and how it went
    poll_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    polled_at: Mapped[datetime | None] = mapped_column(default=None)
    poll_error: Mapped[str | None] = mapped_column(Text, default=None)
    # the admin's last "test connection" (never holds a secret)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    check_ok: Mapped[bool | None] = mapped_column(default=None)
    check_result: Mapped[str | None] = mapped_column(Text, default=None)
