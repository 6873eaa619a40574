"""analytics: objectives the supervisor sets

Revision ID: k3_objectives
Revises: k1_listening
Create Date: 2026-12-06 08:23:39.425077
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "k3_objectives"
down_revision: str | None = "k1_listening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_objectives",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("threshold_seconds", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("network", sa.String(length=32), nullable=True),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_analytics_objectives_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_objectives_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_objectives")),
    )
    with op.batch_alter_table("analytics_objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_objectives_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_analytics_objectives_ws_position", ["workspace_id", "position"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_objectives", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_objectives_ws_position")
        batch_op.drop_index(batch_op.f("ix_analytics_objectives_workspace_id"))
    op.drop_table("analytics_objectives")
