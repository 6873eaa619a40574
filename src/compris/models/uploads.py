"""Files agents attach to replies. The bytes live on disk (content-addressed); this row is their metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from compris.kit.clock import now
from compris.models.base import Base, WorkspaceScoped


class Upload(WorkspaceScoped, Base):
    """One uploaded file: its sanitised name, the type sniffed from its bytes (never the client's word), its size
    and SHA-256 (the file is stored at ``<data_dir>/uploads/<workspace_id>/<sha256[:2]>/<sha256>``).

    The same file uploaded again by the same person under the same name is this same row (unique), and
    ``last_uploaded_at`` moves to that time. ``message_id`` is the first reply that carried the file, set when
    the reply is queued (``uploads.actions.attach``): an upload without one, untouched for
    ``COMPRIS_UPLOAD_ORPHAN_HOURS``, is an abandoned draft's file and is deleted (``uploads.actions.delete_orphans``),
    unless a capability holds it (``held_by``: an escalation shared it with a partner, or a partner sent it).
    """

    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_ws_sha256", "workspace_id", "sha256"),
        # orphans: message_id IS NULL AND last_uploaded_at < cutoff (also serves the foreign key)
        Index("ix_uploads_message_id_last_uploaded_at", "message_id", "last_uploaded_at"),
        UniqueConstraint("workspace_id", "uploaded_by_id", "sha256", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # image | video | audio | file
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    last_uploaded_at: Mapped[datetime] = mapped_column(default=now)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    # a capability that keeps the file without a reply carrying it (``escalation``: a file shared with a partner
    # or sent by one): never an orphan (``uploads.actions.hold``)
    held_by: Mapped[str | None] = mapped_column(String(32), default=None)
