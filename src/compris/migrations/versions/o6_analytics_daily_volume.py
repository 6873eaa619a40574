"""analytics at 2,000,000 cases (issue 15): the volume's slices per day beside its slices per hour

The volume (``msg_in``, ``case_new``) was sliced per local hour only, so every read of it but the hourly ones (the
breakdowns by network, account, intent…, the totals, the daily trend) summed 24 rows a day and dimension value: a
year of the no-filter breakdowns read 750,000 rows at 2,000,000 cases (0.9 s). The rollup now writes a day's row
(``hour`` = -1) beside the hourly ones, as it does for every other metric; the reads that are not per hour read
those. Here the day rows of the data already there are summed from its hourly rows (the rollup keeps them from
then on; ``compris analytics rebuild`` gives the same). The slices' unique key puts the hour before the day, so that
a dimension value's day rows are one contiguous range of it (a year's, 365 rows) instead of being read among its
hourly ones; its hourly rows are 24 ranges, each a day range (the heatmap, the hour-of-day bars).

Revision ID: o6_analytics_daily_volume
Revises: o5_analytics_backlog
Create Date: 2026-12-07 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "o6_analytics_daily_volume"
down_revision: str | None = "o5_analytics_backlog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from the code of this revision (a migration does not follow later code)
HOURLY_METRICS = ("msg_in", "case_new")


METRICS = ", ".join(f"'{m}'" for m in HOURLY_METRICS)


OLD_KEY = ["workspace_id", "metric", "dim", "value", "day", "hour", "policy_id", "bucket"]
NEW_KEY = ["workspace_id", "metric", "dim", "value", "hour", "day", "policy_id", "bucket"]


def _key(columns: list[str]) -> None:
    with op.batch_alter_table("analytics_slices") as batch:
        batch.drop_constraint("uq_analytics_slices_key", type_="unique")
        batch.create_unique_constraint("uq_analytics_slices_key", columns)


def upgrade() -> None:
    op.execute(
        "INSERT INTO analytics_slices (workspace_id, metric, dim, value, day, hour, policy_id, bucket, n, total) "
        "SELECT workspace_id, metric, dim, value, day, -1, policy_id, bucket, sum(n), sum(total) "
        f"FROM analytics_slices WHERE metric IN ({METRICS}) AND hour >= 0 "
        "GROUP BY workspace_id, metric, dim, value, day, policy_id, bucket"
    )
    _key(NEW_KEY)


def downgrade() -> None:
    _key(OLD_KEY)
    op.execute(f"DELETE FROM analytics_slices WHERE metric IN ({METRICS}) AND hour = -1")
