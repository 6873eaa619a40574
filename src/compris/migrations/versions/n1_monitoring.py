"""monitoring (issue 22): a partial index on the replies not finished, counted at every metrics scrape

Revision ID: n1_monitoring
Revises: m4_priority
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "n1_monitoring"
down_revision: str | None = "m4_priority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = "state IN ('queued', 'sending', 'retrying', 'uncertain', 'manual')"


def upgrade() -> None:
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("outbox")}
    if "ix_outbox_open" not in indexes:
        op.create_index("ix_outbox_open", "outbox", ["state"], unique=False,
                        postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_outbox_open", table_name="outbox")
