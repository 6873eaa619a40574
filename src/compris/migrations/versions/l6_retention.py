"""retention: a message's content removed under the workspace's retention policy (``messages.content_removed_at``)

Revision ID: l6_retention
Revises: l1_admin
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "l6_retention"
down_revision: str | None = "l1_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ALTER TABLE ADD COLUMN (nullable): on SQLite a batch copy of ``messages`` would fire the ON DELETE
    # actions of the tables referring to it (and a SQLite downgrade keeps the column: add it only when missing)
    if "content_removed_at" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("messages")}:
        op.add_column("messages", sa.Column("content_removed_at", compris.models.base.UTCDateTime(timezone=True),
                                            nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        # SQLite keeps the (nullable, harmless) column: dropping it copies ``messages``
        op.drop_column("messages", "content_removed_at")
