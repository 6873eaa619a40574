"""inbox: saved views, per-agent read marks, folded search text (issue 18)

Revision ID: m1_inbox
Revises: l6_retention
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

revision: str = "m1_inbox"
down_revision: str | None = "l6_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
