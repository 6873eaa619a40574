"""notifications: in-app notifications per user (issue 18)

Revision ID: m2_notifications
Revises: m1_inbox
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

revision: str = "m2_notifications"
down_revision: str | None = "m1_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
