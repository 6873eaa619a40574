"""analytics: rollups (daily, hourly), each case's contribution, the dirty cases, agents' online minutes

Revision ID: k2_analytics
Revises: k1_listening
Create Date: 2026-12-06 08:26:09.527085
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "k2_analytics"
down_revision: str | None = "k1_listening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "entries", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("computed_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel_account_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=24), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("opened_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_in_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_in_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unanswered_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("late_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("resolved_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_s", sa.Float(), nullable=True),
        sa.Column("reopened_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dissatisfied_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_overdue_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_cases_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_cases")),
        sa.UniqueConstraint("case_id", name=op.f("uq_analytics_cases_case_id")),
    )
    with op.batch_alter_table("analytics_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_cases_ws_first_response", ["workspace_id", "first_response_at"], unique=False
        )
        batch_op.create_index("ix_analytics_cases_ws_last_in", ["workspace_id", "last_in_at"], unique=False)
        batch_op.create_index("ix_analytics_cases_ws_opened", ["workspace_id", "opened_at"], unique=False)
        batch_op.create_index("ix_analytics_cases_ws_resolved", ["workspace_id", "resolved_at"], unique=False)

    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel_account_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=24), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_daily_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily")),
        sa.UniqueConstraint(
            "workspace_id",
            "metric",
            "day",
            "channel_account_id",
            "network",
            "visibility",
            "team_id",
            "agent_id",
            "intent",
            "sentiment",
            "language",
            "topic",
            "policy_id",
            "bucket",
            name="uq_analytics_daily_key",
        ),
    )
    op.create_table(
        "analytics_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_dirty_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty")),
    )

    op.create_table(
        "analytics_hourly",
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel_account_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=24), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_hourly_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_hourly")),
        sa.UniqueConstraint(
            "workspace_id",
            "metric",
            "day",
            "hour",
            "channel_account_id",
            "network",
            "visibility",
            "team_id",
            "agent_id",
            "intent",
            "sentiment",
            "language",
            "topic",
            "policy_id",
            "bucket",
            name="uq_analytics_hourly_key",
        ),
    )
    op.create_table(
        "analytics_slices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_slices_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_slices")),
        sa.UniqueConstraint(
            "workspace_id",
            "metric",
            "dim",
            "value",
            "day",
            "hour",
            "policy_id",
            "bucket",
            name="uq_analytics_slices_key",
        ),
    )
    op.create_table(
        "analytics_agent_online",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("minute", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_analytics_agent_online_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_analytics_agent_online_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_agent_online")),
        sa.UniqueConstraint("user_id", "minute", name=op.f("uq_analytics_agent_online_user_id_minute")),
    )
    with op.batch_alter_table("analytics_agent_online", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_agent_online_ws_minute", ["workspace_id", "minute"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_agent_online", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_agent_online_ws_minute")

    op.drop_table("analytics_agent_online")
    op.drop_table("analytics_slices")
    op.drop_table("analytics_hourly")
    op.drop_table("analytics_dirty")
    op.drop_table("analytics_daily")
    with op.batch_alter_table("analytics_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_cases_ws_resolved")
        batch_op.drop_index("ix_analytics_cases_ws_opened")
        batch_op.drop_index("ix_analytics_cases_ws_last_in")
        batch_op.drop_index("ix_analytics_cases_ws_first_response")

    op.drop_table("analytics_cases")
