"""replies: templates, reply settings (tone of voice, guard), guard events

Revision ID: b6_replies
Revises: a5956db7fea0
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "b6_replies"
down_revision: str | None = "a5956db7fea0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _scoped(table: str) -> list[sa.schema.SchemaItem]:
    """The columns and constraints every workspace-scoped table has."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "reply_templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shortcut", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("bodies", _json(), nullable=False),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        *_scoped("reply_templates"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_reply_templates_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_reply_templates_workspace_id_name")),
    )
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_templates_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_reply_templates_ws_purpose", ["workspace_id", "purpose"], unique=False)

    op.create_table(
        "reply_settings",
        sa.Column("tone_guide", sa.Text(), nullable=False),
        sa.Column("guard", _json(), nullable=False),
        sa.Column("permissions", _json(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        *_scoped("reply_settings"),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_reply_settings_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_reply_settings_workspace_id")),
    )
    with op.batch_alter_table("reply_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_settings_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "guard_events",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("attempt_key", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        *_scoped("guard_events"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_guard_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_guard_events_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_guard_events_message_id_messages"), ondelete="SET NULL"
        ),
    )
    with op.batch_alter_table("guard_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guard_events_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guard_events_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_guard_events_ws_attempt", ["workspace_id", "attempt_key"], unique=False)
        batch_op.create_index("ix_guard_events_ws_created", ["workspace_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guard_events", schema=None) as batch_op:
        batch_op.drop_index("ix_guard_events_ws_created")
        batch_op.drop_index("ix_guard_events_ws_attempt")
        batch_op.drop_index(batch_op.f("ix_guard_events_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_guard_events_case_id"))
    op.drop_table("guard_events")

    with op.batch_alter_table("reply_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_settings_workspace_id"))
    op.drop_table("reply_settings")

    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_templates_ws_purpose")
        batch_op.drop_index(batch_op.f("ix_reply_templates_workspace_id"))
    op.drop_table("reply_templates")
