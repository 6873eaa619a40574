"""connectors II: a review's rating on its message (Google, Yelp, TripAdvisor: 1-5 stars)

Revision ID: i1_connectors_ii
Revises: h7_surveys_results
Create Date: 2026-12-06 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i1_connectors_ii"
down_revision: str | None = "h7_surveys_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("rating")
