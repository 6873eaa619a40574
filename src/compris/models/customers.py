"""What Compris keeps about a customer beyond their identities (issue 18): the team's notes about them, the keys
that suggest two contacts are the same person, and the pairs an agent said are not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class CustomerNote(WorkspaceScoped, Base):
    """An internal note about a contact (never sent to them), shown on every case of theirs. Moves with the
    contact when it is merged (the notes of the merged-away contact stay readable on the one it went into)."""

    __tablename__ = "customer_notes"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    #: who last edited it (None: never edited, or that user was deleted)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class CustomerKey(WorkspaceScoped, Base):
    """Something an identity's messages (or the identity itself) carry that names one person or one booking: a
    reference (booking, order, file), an e-mail address, a phone number, or the person's name
    (:mod:`compris.inbox.same_customer`). ``value`` is normalised (what is compared), ``shown`` as first written
    (what the agent reads). Personal data: erased with the contact."""

    __tablename__ = "customer_keys"
    __table_args__ = (
        UniqueConstraint("identity_id", "kind", "value"),
        Index("ix_customer_keys_lookup", "workspace_id", "kind", "value"),
        Index("ix_customer_keys_recent", "workspace_id", "kind", "last_seen_at"),
    )

    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    #: ``reference``, ``email``, ``phone``, ``name``
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200))
    shown: Mapped[str] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(default=now)
    last_seen_at: Mapped[datetime] = mapped_column(default=now)


class SameCustomerDismissal(WorkspaceScoped, Base):
    """An agent said two contacts are not the same person: that pair is never suggested again
    (``contact_a_id`` < ``contact_b_id``)."""

    __tablename__ = "same_customer_dismissals"
    __table_args__ = (UniqueConstraint("workspace_id", "contact_a_id", "contact_b_id"),)

    contact_a_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    contact_b_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
