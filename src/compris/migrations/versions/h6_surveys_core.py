"""surveys (core): at most one workspace-wide survey settings row (the unique constraint lets NULL accounts
through), and when the follow-up comment question of a survey was sent

Revision ID: h6_surveys_core
Revises: h5_subscriptions
Create Date: 2026-12-06 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "h6_surveys_core"
down_revision: str | None = "h5_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_asked_at", compris.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table("survey_settings", schema=None) as batch_op:
        batch_op.create_index("uq_survey_settings_workspace_default", ["workspace_id"], unique=True,
                              sqlite_where=sa.text("channel_account_id IS NULL"),
                              postgresql_where=sa.text("channel_account_id IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("survey_settings", schema=None) as batch_op:
        batch_op.drop_index("uq_survey_settings_workspace_default")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("comment_asked_at")
