"""analytics at 2,000,000 cases (issue 15): the weekly sets

A figure over a long period summed a row per day of its slice, and with a filter, the agents' and teams' table and
the volume's breakdowns read the full cube (no one-dimension slice crosses the filter with the agent or with a
breakdown): 1.3 to 1.9 s each over a year at 2,000,000 cases. ``analytics_weekly`` holds the same facts per week
(Monday to Sunday, local days) for a few *sets* of dimensions: none; each slice dimension alone; each crossed with
the agent and the team (the agents' metrics); each crossed with every breakdown of the volume (customer messages);
the pairs of the filter dimensions but the agent, alone, crossed with the agent, the team and each breakdown, and by
weekday and hour (the heatmap). A figure reads a row per week of its set and the days outside whole weeks at day
grain.

The daily trends under two filters read the full cube (0.7 s a period over 30 days at 2,000,000 cases): the slices
now hold their metrics per day for each pair of those filters too (``dim`` ``intent+language``).

The backlog's counts under an intent filter read the intent in each active case's triage (0.3 s at 191,000 active
cases): on PostgreSQL, ``ix_cases_active_intent`` holds the active cases by workspace and intent with what the
backlog counts, so that it is read from the index alone (20 ms).

Here the sets of the data already there are summed from the daily cube (every dimension is in it, so the sums are
exact; the rollup keeps them from then on, and ``compris analytics rebuild`` gives the same).

Revision ID: o7_analytics_weekly
Revises: o6_analytics_daily_volume
Create Date: 2026-12-07 15:20:00
"""

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "o7_analytics_weekly"
down_revision: str | None = "o6_analytics_daily_volume"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from the code of this revision (a migration does not follow later code): ``compris.analytics.rollups``
UNSLICED = ("msg_rt",)
PEOPLE_METRICS = ("reply", "resolved", "handle", "frt_c")
VOLUME_METRIC = "msg_in"
SLICE_DIMS = ("network", "account", "team", "agent", "intent", "language")
VOLUME_SLICE_DIMS = ("visibility", "sentiment", "topic")
PEOPLE_GROUPS = ("agent", "team")
BREAKDOWN_DIMS = ("network", "account", "visibility", "intent", "sentiment", "language", "topic")
PAIR_DIMS = ("network", "account", "team", "intent", "language")
PAIR_SEPARATOR = "|"
HOURS = "hours"
DAILY_PAIR_METRICS = ("case_new", "csat_answered", "csat_satisfied", "frt_b", "frt_c", "msg_in", "needs",
                      "res_b", "res_c", "responded", "sla_breach:first_response", "sla_breach:next_response",
                      "sla_breach:resolution", "sla_met:first_response", "sla_met:next_response",
                      "sla_met:resolution")
_IDS = {"account": "channel_account_id", "team": "team_id", "agent": "agent_id"}


def _value(dim: str) -> str:
    """A dimension's value as the slices store it (ids as text, none as '')."""
    if dim in _IDS:
        column = _IDS[dim]
        return f"CASE WHEN {column} = 0 THEN '' ELSE CAST({column} AS VARCHAR(64)) END"
    return f"substr({dim}, 1, 64)"


def _week(dialect: str) -> str:
    if dialect == "postgresql":
        return "(day - (CAST(extract(isodow FROM day) AS INTEGER) - 1))"
    return "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"


def _pair(dims: Sequence[str]) -> str:
    return f" || '{PAIR_SEPARATOR}' || ".join(_value(d) for d in dims)


def _sets() -> Iterator[tuple[str, str, str, str]]:
    """Each set: its name, its value's and its group's expressions, and which metrics it holds."""
    every = f"metric NOT IN ({', '.join(repr(m) for m in UNSLICED)})"
    volume = f"metric = '{VOLUME_METRIC}'"
    people = f"metric IN ({', '.join(repr(m) for m in PEOPLE_METRICS)})"
    yield "", "''", "''", every
    for dim in SLICE_DIMS:
        yield dim, _value(dim), "''", every
    for dim in VOLUME_SLICE_DIMS:
        yield dim, _value(dim), "''", volume
    pairs = [(x, y) for i, x in enumerate(PAIR_DIMS) for y in PAIR_DIMS[i + 1:]]
    for dims in [(d,) for d in SLICE_DIMS] + pairs:
        name = "+".join(dims)
        if len(dims) == 2:
            yield name, _pair(dims), "''", every
        for group in PEOPLE_GROUPS:
            if group not in dims:
                yield f"{name}>{group}", _pair(dims), _value(group), people
        for group in BREAKDOWN_DIMS:
            if group not in dims:
                yield f"{name}>{group}", _pair(dims), _value(group), volume


def backfill(connection: sa.Connection) -> None:
    """Every set of ``analytics_weekly`` summed from ``analytics_daily``, and the pairs by weekday and hour from
    ``analytics_hourly``."""
    week = _week(connection.dialect.name)
    if connection.dialect.name == "postgresql":  # every sum of the same cube (a rollup job of the version before
        connection.execute(sa.text("LOCK TABLE analytics_daily, analytics_hourly IN SHARE MODE"))  # waits)
    columns = "workspace_id, metric, dim, value, week, grp, policy_id, bucket, n, total"
    for name, value, group, metrics in _sets():
        keys = ", ".join(["workspace_id", "metric", *(e for e in (value, group) if e != "''"), week])
        connection.execute(sa.text(
            f"INSERT INTO analytics_weekly ({columns}) "
            f"SELECT workspace_id, metric, '{name}', {value}, {week}, {group}, policy_id, bucket, sum(n), sum(total) "
            f"FROM analytics_daily WHERE {metrics} GROUP BY {keys}, policy_id, bucket "
            "HAVING sum(n) <> 0 OR sum(total) <> 0"))
    # the daily trends' metrics per day and pair of filters, in the slices (each part cut to 31 and 32 characters)
    metrics = ", ".join(f"'{m}'" for m in DAILY_PAIR_METRICS)
    for i, x in enumerate(PAIR_DIMS):
        for y in PAIR_DIMS[i + 1:]:
            value = f"substr({_value(x)}, 1, 31) || '{PAIR_SEPARATOR}' || substr({_value(y)}, 1, 32)"
            connection.execute(sa.text(
                "INSERT INTO analytics_slices (workspace_id, metric, dim, value, day, hour, policy_id, bucket, n, "
                f"total) SELECT workspace_id, metric, '{x}+{y}', {value}, day, -1, policy_id, bucket, sum(n), "
                f"sum(total) FROM analytics_daily WHERE metric IN ({metrics}) "
                f"GROUP BY workspace_id, metric, {value}, day, policy_id, bucket "
                "HAVING sum(n) <> 0 OR sum(total) <> 0"))
    hours = "CAST(weekday AS VARCHAR(2)) || ':' || CAST(hour AS VARCHAR(2))"
    for i, x in enumerate(PAIR_DIMS):
        for y in PAIR_DIMS[i + 1:]:
            value = _pair((x, y))
            connection.execute(sa.text(
                f"INSERT INTO analytics_weekly ({columns}) "
                f"SELECT workspace_id, metric, '{x}+{y}>{HOURS}', {value}, {week}, {hours}, policy_id, bucket, "
                f"sum(n), sum(total) FROM analytics_hourly WHERE metric = '{VOLUME_METRIC}' "
                f"GROUP BY workspace_id, metric, {value}, {week}, {hours}, policy_id, bucket "
                "HAVING sum(n) <> 0 OR sum(total) <> 0"))


def upgrade() -> None:
    op.create_table(
        "analytics_weekly",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("dim", sa.String(40), nullable=False),
        sa.Column("value", sa.String(130), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("grp", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.UniqueConstraint("workspace_id", "metric", "dim", "value", "week", "grp", "policy_id", "bucket",
                            name="uq_analytics_weekly_key"),
    )
    backfill(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(INTENT_INDEX)


#: the active cases by intent with what the backlog counts (the triage too: a read of the index alone)
INTENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_cases_active_intent ON cases (workspace_id, (triage ->> 'intent'), status) "
    "INCLUDE (team_id, assignee_id, last_channel_account_id, language, triage) "
    "WHERE status IN ('new', 'open', 'waiting_customer', 'waiting_partner', 'snoozed')")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_active_intent")
    op.execute("DELETE FROM analytics_slices WHERE dim LIKE '%+%'")
    op.drop_table("analytics_weekly")
