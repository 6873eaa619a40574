"""merge heads: the partner's uploads held by escalations, business actions, outgoing webhooks, survey settings and
results (issues 13 and 14), built side by side from g1_escalation_surveys_mail

Revision ID: i1_merge_heads
Revises: h2_esc_partner_upload_hold, h4_business, h5_subscriptions, h6_surveys_core, h7_surveys_results
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

revision: str = "i1_merge_heads"
down_revision: str | Sequence[str] | None = (
    "h2_esc_partner_upload_hold",
    "h4_business",
    "h5_subscriptions",
    "h6_surveys_core",
    "h7_surveys_results",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
