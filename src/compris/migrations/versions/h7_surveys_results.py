"""survey results: an index on (workspace_id, sent_at), the column results count surveys by

Revision ID: h7_surveys_results
Revises: h6_surveys_core
Create Date: 2026-12-06 03:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "h7_surveys_results"
down_revision: str | None = "h6_surveys_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_ws_sent", ["workspace_id", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_ws_sent")
