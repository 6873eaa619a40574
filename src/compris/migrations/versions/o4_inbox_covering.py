"""pages at scale (issue 22): the indexes an agent's views and the supervisor's error report walk carry what they read

One agent's cases, all statuses, in the desk's order (needs an answer first) walked ``ix_cases_ws_needs_answer`` and
read each case's row to check its assignee: 68,000 rows for 50 at 2,000,000 cases (240 ms). The index now carries
the assignee and the team (``INCLUDE``), so the walk checks them in the index alone. The counts beside a filtered
view count "mine" through ``ix_cases_assignee_status`` and read each of the agent's cases to check the filter (an
agent with 39,000 cases and no urgent one: 150 ms to count none); it now carries the workspace and the columns the
inbox filters on (priority, team, language, account, SLA state). The supervisor's expected-wait error report reads
four weeks of predictions (175,000 at that size): ``ix_wait_predictions_ws_created`` now ends with the id (the
report's order, latest first) and carries both figures, so they are read from the index alone.

PostgreSQL only for the ``INCLUDE`` parts (SQLite's indexes have none; the predictions' index gets its id there too).
Each index is built again (about 20 s a million cases here; writes to the table wait meanwhile:
``docs/deployment.md``).

Revision ID: o4_inbox_covering
Revises: o3_search_pairs
Create Date: 2026-12-07 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "o4_inbox_covering"
down_revision: str | None = "o3_search_pairs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from ``o2_inbox_indexes`` (a migration does not follow later code)
RANK = "(CASE WHEN sla_status = 'breached' THEN 0 ELSE 1 END)"
NEEDS_ANSWER = ["workspace_id", sa.text(RANK), "sla_next_due_at", sa.text("priority DESC"), "last_inbound_at", "id"]

#: (index, columns, INCLUDE before, INCLUDE after)
INDEXES: list[tuple[str, list[object], list[str], list[str]]] = [
    ("ix_cases_ws_needs_answer", NEEDS_ANSWER, ["sla_status", "status"],
     ["sla_status", "status", "assignee_id", "team_id"]),
    ("ix_cases_assignee_status", ["assignee_id", "status"], [],
     ["workspace_id", "priority", "team_id", "language", "last_channel_account_id", "sla_status"]),
]


def _predictions(after: bool) -> None:
    op.drop_index("ix_wait_predictions_ws_created", table_name="wait_predictions")
    columns = ["workspace_id", "created_at", *(["id"] if after else [])]
    options: dict[str, object] = {"postgresql_include": ["predicted_s", "actual_s"]} if after else {}
    op.create_index("ix_wait_predictions_ws_created", "wait_predictions", columns, unique=False, **options)  # type: ignore[arg-type]


def _build(include_after: bool) -> None:
    _predictions(include_after)
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns, before, after in INDEXES:
        op.drop_index(name, table_name="cases")
        include = after if include_after else before
        options: dict[str, object] = {"postgresql_include": include} if include else {}
        op.create_index(name, "cases", columns, unique=False, **options)  # type: ignore[arg-type]


def upgrade() -> None:
    _build(include_after=True)


def downgrade() -> None:
    _build(include_after=False)
