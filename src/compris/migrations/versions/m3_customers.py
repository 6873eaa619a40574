"""customers: notes about a customer, same-customer suggestions (issue 18)

Revision ID: m3_customers
Revises: m2_notifications
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

revision: str = "m3_customers"
down_revision: str | None = "m2_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
