"""analytics at 2,000,000 cases (issue 15): the drill-downs and the agent with another filter from indexes

The cases behind "late" (and unanswered, reopened, breached, dissatisfied, escalated, overdue) were found by a scan
of every case's analytics row (0.75 s at 2,000,000 cases): a partial index each, on the cases that have that fact,
newest first. "Slowest first" (first response, resolution) sorted every case of the period (0.4–0.8 s over a year):
an index by duration is walked from the slowest instead, the period checked in the index.

A figure under the agent and another filter reads the cube with every dimension (no slice or weekly set crosses
the agent with a filter): 1 to 4 s over a year, every row of the period read for one agent's. An index led by the
agent, on the daily and the hourly cube, reads that agent's rows only.

Indexes only: no data changes. Building them holds writes to those tables meanwhile (the rollup job waits; the
cube's two indexes take a few minutes at 2,000,000 cases: ``docs/deployment.md``).

Revision ID: o8_analytics_drill_indexes
Revises: o7_analytics_weekly
Create Date: 2026-12-07 18:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "o8_analytics_drill_indexes"
down_revision: str | None = "o7_analytics_weekly"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from the code of this revision: ``compris.models.analytics.DRILL_SPARSE``
DRILL_SPARSE = ("unanswered_at", "late_at", "reopened_at", "breached_at", "dissatisfied_at", "escalated_at",
                "escalation_overdue_at")

#: name -> (table, columns, partial condition)
INDEXES: dict[str, tuple[str, str, str | None]] = {
    **{f"ix_analytics_cases_ws_{column.removesuffix('_at')}": (
        "analytics_cases", f"workspace_id, {column}, case_id", f"{column} IS NOT NULL") for column in DRILL_SPARSE},
    "ix_analytics_cases_ws_slowest_response": (
        "analytics_cases", "workspace_id, first_response_s, case_id, first_response_at", None),
    "ix_analytics_cases_ws_slowest_resolution": (
        "analytics_cases", "workspace_id, resolution_s, case_id, resolved_at", None),
    "ix_analytics_daily_agent": ("analytics_daily", "workspace_id, agent_id, metric, day", None),
    "ix_analytics_hourly_agent": ("analytics_hourly", "workspace_id, agent_id, metric, day", None),
}


def upgrade() -> None:
    for name, (table, columns, where) in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})" + (f" WHERE {where}" if where else ""))


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
