"""incidents: a case's forced SLA policy (an incident's crisis mode)

Revision ID: k7_incidents
Revises: k1_listening
Create Date: 2026-12-06 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k7_incidents"
down_revision: str | None = "k1_listening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_policy_override_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_sla_policy_override_id_sla_policies"), "sla_policies", ["sla_policy_override_id"],
            ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_sla_policy_override_id_sla_policies"), type_="foreignkey")
        batch_op.drop_column("sla_policy_override_id")
