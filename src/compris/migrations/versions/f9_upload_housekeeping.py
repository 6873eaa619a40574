"""upload housekeeping: one row per (workspace, uploader, file, name); the first reply that carried each upload
(``message_id``) and when it was last uploaded (``last_uploaded_at``), for deleting abandoned drafts' files

Existing duplicates (two simultaneous submits of the same file) are merged first: the row a reply uses is kept
(the lowest such id, else the lowest id), replies naming another row of the group are made to name the kept one,
and the others are deleted (the bytes are shared: nothing changes on disk). ``message_id`` is filled from the
outbound messages' ``attachments``, so no upload already in a reply is ever taken for an orphan.

Revision ID: f9_upload_housekeeping
Revises: f8_reply_attachments
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "f9_upload_housekeeping"
down_revision: str | Sequence[str] | None = "f8_reply_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_messages = sa.table(
    "messages",
    sa.column("id", sa.Integer()),
    sa.column("direction", sa.String()),
    sa.column("attachments", compris.models.base.JSONType),
)
_uploads = sa.table(
    "uploads",
    sa.column("id", sa.Integer()),
    sa.column("workspace_id", sa.Integer()),
    sa.column("uploaded_by_id", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("name", sa.String()),
    sa.column("message_id", sa.Integer()),
)


def _upload_ids(attachments: Any) -> list[int]:
    return [a["upload_id"] for a in attachments or [] if isinstance(a, dict) and isinstance(a.get("upload_id"), int)]


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_uploaded_at", compris.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))

    # when each file was last uploaded: the latest of its duplicates (merged below)
    conn.execute(sa.text(
        "UPDATE uploads SET last_uploaded_at = (SELECT max(u2.created_at) FROM uploads u2 "
        "WHERE u2.workspace_id = uploads.workspace_id AND u2.uploaded_by_id = uploads.uploaded_by_id "
        "AND u2.sha256 = uploads.sha256 AND u2.name = uploads.name)"))
    conn.execute(sa.text("UPDATE uploads SET last_uploaded_at = created_at WHERE last_uploaded_at IS NULL"))

    # which replies name which uploads (outbound messages keep them in their attachments JSON)
    refs: dict[int, list[int]] = {}
    carried: dict[int, Any] = {}
    rows = conn.execute(sa.select(_messages.c.id, _messages.c.attachments)
                        .where(_messages.c.direction == "outbound").order_by(_messages.c.id))
    for message_id, attachments in rows:
        ids = _upload_ids(attachments)
        if ids:
            carried[message_id] = attachments
            for upload_id in ids:
                refs.setdefault(upload_id, []).append(message_id)

    # merge duplicates: keep the row replies use, point the replies naming the others at it
    groups = conn.execute(
        sa.select(_uploads.c.workspace_id, _uploads.c.uploaded_by_id, _uploads.c.sha256, _uploads.c.name)
        .where(_uploads.c.uploaded_by_id.is_not(None))
        .group_by(_uploads.c.workspace_id, _uploads.c.uploaded_by_id, _uploads.c.sha256, _uploads.c.name)
        .having(sa.func.count() > 1)).all()
    for workspace_id, uploaded_by_id, sha256, name in groups:
        ids = list(conn.scalars(
            sa.select(_uploads.c.id).where(_uploads.c.workspace_id == workspace_id,
                                           _uploads.c.uploaded_by_id == uploaded_by_id,
                                           _uploads.c.sha256 == sha256, _uploads.c.name == name)
            .order_by(_uploads.c.id)))
        keeper = min((i for i in ids if i in refs), default=ids[0])
        duplicates = [i for i in ids if i != keeper]
        for duplicate in duplicates:
            for message_id in refs.pop(duplicate, []):
                attachments = [
                    {**a, "upload_id": keeper, "url": f"/uploads/{keeper}"}
                    if isinstance(a, dict) and a.get("upload_id") == duplicate else a
                    for a in carried[message_id]
                ]
                carried[message_id] = attachments
                conn.execute(sa.update(_messages).where(_messages.c.id == message_id)
                             .values(attachments=attachments))
                refs.setdefault(keeper, []).append(message_id)
        conn.execute(sa.delete(_uploads).where(_uploads.c.id.in_(duplicates)))

    # the first reply that carried each upload
    existing = set(conn.scalars(sa.select(_uploads.c.id)))
    for upload_id, message_ids in refs.items():
        if upload_id in existing:
            conn.execute(sa.update(_uploads).where(_uploads.c.id == upload_id)
                         .values(message_id=min(message_ids)))

    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.alter_column("last_uploaded_at", existing_type=compris.models.base.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_uploads_message_id_messages"), "messages", ["message_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_uploads_message_id_last_uploaded_at", ["message_id", "last_uploaded_at"],
                              unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_uploads_workspace_id_uploaded_by_id_sha256_name"),
                                          ["workspace_id", "uploaded_by_id", "sha256", "name"])


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_uploads_workspace_id_uploaded_by_id_sha256_name"), type_="unique")
        batch_op.drop_index("ix_uploads_message_id_last_uploaded_at")
        batch_op.drop_constraint(batch_op.f("fk_uploads_message_id_messages"), type_="foreignkey")
        batch_op.drop_column("message_id")
        batch_op.drop_column("last_uploaded_at")
