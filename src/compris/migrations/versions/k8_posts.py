"""posts: the posts customers comment under, and which threads are under which post

Revision ID: k8_posts
Revises: k7_incidents
Create Date: 2026-12-06 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "k8_posts"
down_revision: str | None = "k7_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("channel_account_id", sa.Integer(), nullable=False),
        sa.Column("platform_post_id", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("permalink", sa.String(length=1000), nullable=True),
        sa.Column("posted_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("author_id", sa.String(length=300), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("by_account", sa.Boolean(), nullable=True),
        sa.Column("fetch_state", sa.String(length=16), nullable=False),
        sa.Column("fetched_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_posts_channel_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_posts_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint(
            "channel_account_id", "platform_post_id", name=op.f("uq_posts_channel_account_id_platform_post_id")
        ),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_channel_account_id"), ["channel_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "post_threads",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_threads_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_post_threads_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_post_threads_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_threads")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_post_threads_thread_id")),
    )
    with op.batch_alter_table("post_threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_threads_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_threads_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_threads_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_post_threads_post_id"))

    op.drop_table("post_threads")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_posts_channel_account_id"))

    op.drop_table("posts")
