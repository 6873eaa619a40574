"""analytics at 2,000,000 cases (issue 15): two filters from slices and weekly sets, the agent with another one too

Under two filters of a pair (intent and language, say), a figure over a period with whole weeks reads them from
the pair's weekly set, and the days before and after them (up to six each) per day. The pairs' daily slices held
the daily trends' metrics only, so those days read the cube with every dimension for the other figures (next
response, answered within the target, surveys sent, escalations, expected wait, the guard's findings): 120–260 ms
a period at 2,000,000 cases. The pairs' daily slices now hold every metric the report reads without a dimension;
here summed from the daily cube of the data already there (the rollup keeps them from then on, and ``compris
analytics rebuild`` gives the same).

A figure under the agent and another filter read that agent's rows of the cube (``ix_analytics_daily_agent``):
spread over the cube's pages, 1.7 s for a year's dashboard at 2,000,000 cases. The weekly sets now pair the agent
with each filter of the pairs (``intent+agent``: ``value`` ``"complaint|12"``, every metric), summed here from the
daily cube likewise.

Revision ID: p1_analytics_pairs
Revises: o9_analytics_live_sources
Create Date: 2026-12-07 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p1_analytics_pairs"
down_revision: str | None = "o9_analytics_live_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from the code of this revision (a migration does not follow later code): the metrics
#: ``compris.analytics.rollups.daily_pair_metric`` adds to those ``o7`` sliced per pair and day
ADDED_METRICS = ("in_target", "nrt_c", "nrt_b", "csat_sent", "esc_created", "esc_overdue", "esc_rt", "wait_n",
                 "wait_actual", "wait_error", "wait_within")
ADDED_PREFIXES = ("guard:", "guard_ovr:")
PAIR_DIMS = ("network", "account", "team", "intent", "language")
PAIR_SEPARATOR = "|"
_IDS = {"account": "channel_account_id", "team": "team_id", "agent": "agent_id"}
UNSLICED = ("msg_rt",)


def _value(dim: str, length: int) -> str:
    """A dimension's value as the slices store it (ids as text, none as ''), cut to ``length`` characters."""
    if dim in _IDS:
        column = _IDS[dim]
        return f"substr(CASE WHEN {column} = 0 THEN '' ELSE CAST({column} AS VARCHAR(64)) END, 1, {length})"
    return f"substr({dim}, 1, {length})"


def _added() -> str:
    """The condition on ``metric`` of the metrics added."""
    return "(" + " OR ".join([f"metric IN ({', '.join(repr(m) for m in ADDED_METRICS)})",
                              *(f"metric LIKE '{p}%'" for p in ADDED_PREFIXES)]) + ")"


def _week(dialect: str) -> str:
    if dialect == "postgresql":
        return "(day - (CAST(extract(isodow FROM day) AS INTEGER) - 1))"
    return "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # every sum of the same cube (a rollup job of the version before waits)
        bind.execute(sa.text("LOCK TABLE analytics_daily IN SHARE MODE"))
    week = _week(bind.dialect.name)
    for x in PAIR_DIMS:  # the agent with each filter, per week
        value = f"{_value(x, 64)} || '{PAIR_SEPARATOR}' || {_value('agent', 64)}"
        bind.execute(sa.text(
            "INSERT INTO analytics_weekly (workspace_id, metric, dim, value, week, grp, policy_id, bucket, n, total) "
            f"SELECT workspace_id, metric, '{x}+agent', {value}, {week}, '', policy_id, bucket, sum(n), sum(total) "
            f"FROM analytics_daily WHERE metric NOT IN ({', '.join(repr(m) for m in UNSLICED)}) "
            f"GROUP BY workspace_id, metric, {value}, {week}, policy_id, bucket "
            "HAVING sum(n) <> 0 OR sum(total) <> 0"))
    for i, x in enumerate(PAIR_DIMS):
        for y in PAIR_DIMS[i + 1:]:
            value = f"{_value(x, 31)} || '{PAIR_SEPARATOR}' || {_value(y, 32)}"
            bind.execute(sa.text(
                "INSERT INTO analytics_slices (workspace_id, metric, dim, value, day, hour, policy_id, bucket, n, "
                f"total) SELECT workspace_id, metric, '{x}+{y}', {value}, day, -1, policy_id, bucket, sum(n), "
                f"sum(total) FROM analytics_daily WHERE {_added()} "
                f"GROUP BY workspace_id, metric, {value}, day, policy_id, bucket "
                "HAVING sum(n) <> 0 OR sum(total) <> 0"))


def downgrade() -> None:
    op.execute(f"DELETE FROM analytics_slices WHERE dim LIKE '%+%' AND {_added()}")
    op.execute("DELETE FROM analytics_weekly WHERE dim IN (" + ", ".join(f"'{x}+agent'" for x in PAIR_DIMS) + ")")
