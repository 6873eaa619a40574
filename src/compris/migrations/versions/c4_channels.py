"""channel accounts: poll state and connection checks; messages deleted on the platform

Revision ID: c4_channels
Revises: a5956db7fea0
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "c4_channels"
down_revision: str | None = "a5956db7fea0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "poll_state",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),  # existing rows get an empty object
            )
        )
        batch_op.add_column(sa.Column("polled_at", compris.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("poll_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("checked_at", compris.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("check_ok", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("check_result", sa.Text(), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", compris.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("channel_accounts", schema=None) as batch_op:
        batch_op.drop_column("check_result")
        batch_op.drop_column("check_ok")
        batch_op.drop_column("checked_at")
        batch_op.drop_column("poll_error")
        batch_op.drop_column("polled_at")
        batch_op.drop_column("poll_state")
