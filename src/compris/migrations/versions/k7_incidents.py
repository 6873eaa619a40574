"""incidents: a case's forced SLA policy (an incident's crisis mode)

A plain column, added and dropped in place (no batch copy of ``cases``: on SQLite, a copy would drop the table
with foreign keys on, and its messages with it).

Revision ID: k7_incidents
Revises: k5_listening_counts
Create Date: 2026-12-06 08:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "k7_incidents"
down_revision: str | None = "k5_listening_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN sla_policy_override_id INTEGER")


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN sla_policy_override_id")
