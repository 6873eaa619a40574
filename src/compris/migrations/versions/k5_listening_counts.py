"""listening: spike counters and alert settings

Revision ID: k5_listening_counts
Revises: k1_listening
Create Date: 2026-12-06 08:24:05.086909
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "k5_listening_counts"
down_revision: str | None = "k1_listening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listening_counts",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("bucket_start", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_counts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "scope", "bucket_start", "shard", name=op.f("pk_listening_counts")),
    )
    with op.batch_alter_table("listening_counts", schema=None) as batch_op:
        batch_op.create_index("ix_listening_counts_bucket_ws", ["bucket_start", "workspace_id"], unique=False)

    op.create_table(
        "listening_settings",
        sa.Column("spikes_enabled", sa.Boolean(), nullable=False),
        sa.Column("spike_sensitivity", sa.String(length=16), nullable=False),
        sa.Column("spike_min_count", sa.Integer(), nullable=False),
        sa.Column("reach_enabled", sa.Boolean(), nullable=False),
        sa.Column("reach_min_followers", sa.Integer(), nullable=False),
        sa.Column("reach_verified", sa.Boolean(), nullable=False),
        sa.Column("reach_promoted", sa.Boolean(), nullable=False),
        sa.Column("reach_reshares_per_hour", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_listening_settings_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_settings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_settings")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_listening_settings_workspace_id")),
    )
    with op.batch_alter_table("listening_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_settings_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("listening_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listening_settings_workspace_id"))

    op.drop_table("listening_settings")
    with op.batch_alter_table("listening_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_counts_bucket_ws")

    op.drop_table("listening_counts")
