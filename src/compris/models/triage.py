from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class TriageCorrection(WorkspaceScoped, Base):
    """An agent's correction of one triage label on one message (used by ``compris triage train``)."""

    __tablename__ = "triage_corrections"
    __table_args__ = (Index("ix_triage_corrections_ws_field", "workspace_id", "field"),)

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    field: Mapped[str] = mapped_column(String(16))  # sentiment, intent, topic, language, urgency
    label: Mapped[str] = mapped_column(String(32))
    previous: Mapped[str | None] = mapped_column(String(32), default=None)
    text: Mapped[str] = mapped_column(Text, default="")  # the message text at correction time (training input)
