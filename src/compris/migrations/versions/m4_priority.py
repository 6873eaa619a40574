"""priority and expected wait (issue 18)

Revision ID: m4_priority
Revises: m3_customers
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

revision: str = "m4_priority"
down_revision: str | None = "m3_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
