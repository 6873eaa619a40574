"""priority and expected wait (issue 18): how a case's priority was reached and since when it awaits an answer

Revision ID: m4_priority
Revises: m3_customers
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "m4_priority"
down_revision: str | None = "m3_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: on SQLite a batch copy of ``cases`` would fire the ON DELETE actions of the
    # tables referring to it (and a SQLite downgrade keeps the columns: add them only when missing)
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("cases")}
    if "priority_info" not in have:
        op.add_column("cases", sa.Column(
            "priority_info", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False, server_default=sa.text("'{}'")))  # existing rows: recomputed by the periodic pass
    if "awaiting_since" not in have:
        op.add_column("cases", sa.Column("awaiting_since", compris.models.base.UTCDateTime(timezone=True),
                                         nullable=True))
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("cases")}
    if "ix_cases_awaiting_since" not in indexes:
        op.create_index("ix_cases_awaiting_since", "cases", ["awaiting_since"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_awaiting_since", table_name="cases")
    if op.get_bind().dialect.name != "sqlite":
        # SQLite keeps the (harmless) columns: dropping them copies ``cases``
        op.drop_column("cases", "awaiting_since")
        op.drop_column("cases", "priority_info")
