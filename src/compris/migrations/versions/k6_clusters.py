"""listening: clusters' signatures and the messages on their way through clustering

Revision ID: k6_clusters
Revises: k5_listening_counts
Create Date: 2026-12-06 08:32:19.035870
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "k6_clusters"
down_revision: str | None = "k5_listening_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listening_cluster_items",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("network", sa.String(length=32), nullable=True),
        sa.Column(
            "signature", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_listening_cluster_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_listening_cluster_items_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_cluster_items_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_cluster_items")),
        sa.UniqueConstraint("message_id", name=op.f("uq_listening_cluster_items_message_id")),
    )
    with op.batch_alter_table("listening_cluster_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_cluster_items_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_listening_cluster_items_ws_state", ["workspace_id", "state", "id"], unique=False)

    with op.batch_alter_table("listening_clusters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signature",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.add_column(sa.Column("vector_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("closed_at", compris.models.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("listening_clusters", schema=None) as batch_op:
        batch_op.alter_column("signature", server_default=None)
        batch_op.alter_column("vector_count", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("listening_clusters", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("vector_count")
        batch_op.drop_column("signature")

    with op.batch_alter_table("listening_cluster_items", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_cluster_items_ws_state")
        batch_op.drop_index(batch_op.f("ix_listening_cluster_items_workspace_id"))

    op.drop_table("listening_cluster_items")
