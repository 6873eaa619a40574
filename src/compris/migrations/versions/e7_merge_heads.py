"""Merge the three branches written in parallel (replies, channels, routing/SLA) into one head.

Revision ID: e7_merge_heads
Revises: b6_replies, c4_channels, d5_routing_sla
Create Date: 2026-11-22 20:20:00
"""

from collections.abc import Sequence

revision: str = "e7_merge_heads"
down_revision: str | Sequence[str] | None = ("b6_replies", "c4_channels", "d5_routing_sla")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
