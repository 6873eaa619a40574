"""uploads kept by a capability (an escalation's shared files, a partner's answer): never orphans

Revision ID: h2_esc_partner_upload_hold
Revises: g1_escalation_surveys_mail
Create Date: 2026-12-06 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h2_esc_partner_upload_hold"
down_revision: str | None = "g1_escalation_surveys_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("held_by")
