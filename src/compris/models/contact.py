from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from compris.kit.clock import now
from compris.kit.textfold import folded_or_none
from compris.models.base import Base, WorkspaceScoped


class Contact(WorkspaceScoped, Base):
    """A person, with one identity per network account they use."""

    __tablename__ = "contacts"

    display_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), default=None)
    #: the name folded for search (``compris.kit.textfold``), kept in step by :meth:`_fold_name`
    search_name: Mapped[str | None] = mapped_column(String(200), default=None)

    @validates("display_name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.search_name = folded_or_none(value, 200)
        return value


class Identity(WorkspaceScoped, Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "platform_user_id"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200), default=None)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    followers: Mapped[int | None] = mapped_column(Integer, default=None)
    verified: Mapped[bool] = mapped_column(default=False)
    avatar_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
