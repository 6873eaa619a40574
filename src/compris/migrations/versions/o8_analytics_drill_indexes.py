"""analytics at 2,000,000 cases (issue 15): the drill-downs and the agent with another filter from indexes

The cases behind "late" (and unanswered, reopened, breached, dissatisfied, escalated, overdue) were found by a scan
of every case's analytics row (0.75 s at 2,000,000 cases): a partial index each, on the cases that have that fact,
newest first. "Slowest first" (first response, resolution) sorted every case of the period (0.4–0.8 s over a year):
an index by duration is walked from the slowest instead, the period checked in the index.

A figure under the agent and another filter reads the cube with every dimension (no slice or weekly set crosses
the agent with a filter): 1 to 4 s over a year, every row of the period read for one agent's. An index led by the
agent, on the daily and the hourly cube, reads that agent's rows only.

Time online counted the minutes of the period (``analytics_agent_online``, a row per agent and minute: about
7,000,000 for 40 agents over a year, most of a second or more to count): ``analytics_agent_online_days`` holds
them per agent and local day, kept by the sampling job with the minutes; here summed from the minutes already
there (each workspace's time zone).

Building the indexes holds writes to those tables meanwhile (the rollup job waits; the cube's two indexes take a
few minutes at 2,000,000 cases: ``docs/deployment.md``).

Revision ID: o8_analytics_drill_indexes
Revises: o7_analytics_weekly
Create Date: 2026-12-07 18:40:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
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
    days = op.create_table(
        "analytics_agent_online_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_analytics_agent_online_days_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_analytics_agent_online_days_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_agent_online_days")),
        sa.UniqueConstraint("workspace_id", "day", "user_id",
                            name=op.f("uq_analytics_agent_online_days_workspace_id_day_user_id")),
    )
    bind = op.get_bind()
    for workspace_id, timezone in bind.execute(sa.text("SELECT id, timezone FROM workspaces")).all():
        tz = _zone(timezone)
        per_day: dict[tuple[int, date], int] = defaultdict(int)
        minutes = bind.execute(
            sa.text("SELECT user_id, minute FROM analytics_agent_online WHERE workspace_id = :ws")
            .execution_options(yield_per=10_000), {"ws": workspace_id})
        for user_id, minute in minutes:
            per_day[(int(user_id), _aware(minute).astimezone(tz).date())] += 1
        if per_day:
            op.bulk_insert(days, [{"workspace_id": workspace_id, "user_id": user, "day": day, "minutes": n}
                                  for (user, day), n in sorted(per_day.items())])


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime | str) -> datetime:
    """A stored minute as an aware UTC datetime (SQLite gives naive text or datetimes, in UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def downgrade() -> None:
    op.drop_table("analytics_agent_online_days")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
