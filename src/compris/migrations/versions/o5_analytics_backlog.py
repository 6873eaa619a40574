"""analytics at 2,000,000 cases (issue 15): the dashboard's live backlog from indexes alone

Measured on the full-size data set (2,000,000 cases, 191,000 of them new or open): the backlog's "oldest waiting"
joined every analytics summary with an unanswered message (about a million rows, most of them resolved cases) to
the cases table to find the oldest still new or open — 0.2 to 0.9 s on every dashboard, whatever its period — and
its counts per status, team and assignee read each active case's row (0.25 to 0.36 s). Now ``analytics_cases``
carries ``waiting_since`` (the earliest unanswered message while the case is new or open, written by the rollup
with the rest of the summary) under a partial index of those rows only, so the oldest is the first row of an
index walk; and ``ix_cases_ws_status_activity`` carries the columns the backlog counts and filters (``INCLUDE``,
PostgreSQL only), so the counts come from the index alone.

The new column is filled here from the cases' current status (the rollup keeps it from then on). The index is
built again (about 15 s a million cases here; writes to ``cases`` wait meanwhile: ``docs/deployment.md``).

Revision ID: o5_analytics_backlog
Revises: o4_inbox_covering
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "o5_analytics_backlog"
down_revision: str | None = "o4_inbox_covering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "waiting_since IS NOT NULL"
STATUS_INDEX = ("ix_cases_ws_status_activity", ["workspace_id", "status", "last_activity_at"])
INCLUDE = ["team_id", "assignee_id", "last_channel_account_id", "language"]


def _status_index(include: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    name, columns = STATUS_INDEX
    op.drop_index(name, table_name="cases")
    options: dict[str, object] = {"postgresql_include": INCLUDE} if include else {}
    op.create_index(name, "cases", columns, unique=False, **options)  # type: ignore[arg-type]


def upgrade() -> None:
    with op.batch_alter_table("analytics_cases") as batch:
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE analytics_cases SET waiting_since = unanswered_at WHERE unanswered_at IS NOT NULL "
        "AND case_id IN (SELECT id FROM cases WHERE status IN ('new', 'open'))"
    )
    op.create_index("ix_analytics_cases_ws_waiting", "analytics_cases", ["workspace_id", "waiting_since"],
                    unique=False, postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))
    _status_index(include=True)


def downgrade() -> None:
    _status_index(include=False)
    op.drop_index("ix_analytics_cases_ws_waiting", table_name="analytics_cases")
    with op.batch_alter_table("analytics_cases") as batch:
        batch.drop_column("waiting_since")
