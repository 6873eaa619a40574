"""ingest at scale (issue 22): indexes behind what every inbound message reads on cases

The expected wait's samples (the latest first responses of the workspace and of the account), the SLA forecast's
throughput (a team's first responses of the last hours) and both queues (the cases of an account waiting for their
first answer; a team's running first-response deadlines): index ranges instead of scans of the whole history.

Revision ID: o0_ingest_indexes
Revises: n1_monitoring
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "o0_ingest_indexes"
down_revision: str | None = "n1_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNANSWERED = "first_response_at IS NULL AND status IN ('new', 'open')"
FIRST_DUE = "sla_first_response_due IS NOT NULL AND status IN ('new', 'open')"

INDEXES: list[tuple[str, list[str], str | None]] = [
    ("ix_cases_ws_first_response", ["workspace_id", "first_response_at"], None),
    ("ix_cases_account_first_response", ["last_channel_account_id", "first_response_at"], None),
    ("ix_cases_team_first_response", ["team_id", "first_response_at"], None),
    ("ix_cases_unanswered", ["last_channel_account_id"], UNANSWERED),
    ("ix_cases_team_first_due", ["team_id", "sla_first_response_due"], FIRST_DUE),
]


def upgrade() -> None:
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("cases")}
    for name, columns, where in INDEXES:
        if name in existing:
            continue
        if where is None:
            op.create_index(name, "cases", columns, unique=False)
        else:
            op.create_index(name, "cases", columns, unique=False, postgresql_where=sa.text(where),
                            sqlite_where=sa.text(where))


def downgrade() -> None:
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name="cases")
