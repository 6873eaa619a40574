"""Files agents attach to replies. The bytes live on disk (content-addressed); this row is their metadata."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from compris.models.base import Base, WorkspaceScoped


class Upload(WorkspaceScoped, Base):
    """One uploaded file: its sanitised name, the type sniffed from its bytes (never the client's word), its size
    and SHA-256 (the file is stored at ``<data_dir>/uploads/<workspace_id>/<sha256[:2]>/<sha256>``)."""

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_ws_sha256", "workspace_id", "sha256"),)

    name: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # image | video | audio | file
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
