"""inbox at scale (issue 22): an index for each of the inbox's sorts, the active cases' own, and the filters' reads

Every sort of the inbox (newest, oldest, priority, SLA due, needs an answer first) has an index in its order,
whole (every status) and, for the sorts the desk uses all day, partial over the active cases (small, and written
only while a case is worked on): a page is a walk of an index however many cases the workspace has. The
language filter's options are read by probing ``(workspace_id, language)``; staffing's arrivals by a range of
``(workspace_id, first_inbound_at)``; an agent's cases by status from ``(assignee_id, status)``, which replaces the
index on ``assignee_id`` alone (the same leading column: it also serves the foreign key).

On PostgreSQL, ``ix_cases_ws_needs_answer`` carries ``sla_status`` and ``status`` (``INCLUDE``) so that a deep page
of all statuses is read from the index alone. Building these on a large table takes a while and blocks writes to
``cases`` meanwhile (``docs/deployment.md``: run it in a quiet hour, or create them ``CONCURRENTLY`` first: the
migration skips the indexes that exist).

Revision ID: o2_inbox_indexes
Revises: o1_search
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "o2_inbox_indexes"
down_revision: str | None = "o1_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: copied from ``compris.models.inbox`` as of this revision (a migration does not follow later code)
ACTIVE = "status IN ('new', 'open', 'waiting_customer', 'waiting_partner', 'snoozed')"
RANK = "(CASE WHEN sla_status = 'breached' THEN 0 ELSE 1 END)"
NEEDS_ANSWER = ["workspace_id", sa.text(RANK), "sla_next_due_at", sa.text("priority DESC"), "last_inbound_at", "id"]

INDEXES: list[tuple[str, list[object], dict[str, object]]] = [
    ("ix_cases_ws_activity", ["workspace_id", "last_activity_at", "id"], {}),
    ("ix_cases_ws_inbound", ["workspace_id", "last_inbound_at", "id"], {}),
    ("ix_cases_ws_priority", ["workspace_id", sa.text("priority DESC"), "last_inbound_at", "id"], {}),
    ("ix_cases_ws_needs_answer", NEEDS_ANSWER, {"postgresql_include": ["sla_status", "status"]}),
    ("ix_cases_active_needs_answer", NEEDS_ANSWER,
     {"postgresql_where": sa.text(ACTIVE), "sqlite_where": sa.text(ACTIVE)}),
    ("ix_cases_active_inbound", ["workspace_id", "last_inbound_at", "id"],
     {"postgresql_where": sa.text(ACTIVE), "sqlite_where": sa.text(ACTIVE)}),
    ("ix_cases_active_priority", ["workspace_id", sa.text("priority DESC"), "last_inbound_at", "id"],
     {"postgresql_where": sa.text(ACTIVE), "sqlite_where": sa.text(ACTIVE)}),
    ("ix_cases_ws_language", ["workspace_id", "language"], {}),
    ("ix_cases_ws_first_inbound", ["workspace_id", "first_inbound_at"], {}),
    ("ix_cases_assignee_status", ["assignee_id", "status"], {}),
]


#: PostgreSQL's planner, told how often each assignee (none included) goes with each status: without it, it
#: multiplies the two shares and guessed 900 unassigned active cases where there were 27,000 (and sorted them all)
STATISTICS = "CREATE STATISTICS IF NOT EXISTS st_cases_assignee_status (mcv) ON assignee_id, status FROM cases"


#: statistics on the case's intent (PostgreSQL 14 and later): the planner guessed 0.5 % of the cases for any intent
#: (complaints are a fifth) and chose plans that read far more than a page. Statistics rather than an index: with an
#: index it intersected whole bitmaps (400,000 complaints) to count 501 cases of one agent
INTENT = "CREATE STATISTICS IF NOT EXISTS st_cases_intent ON ((triage ->> 'intent')) FROM cases"


def upgrade() -> None:
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("cases")}
    for name, columns, options in INDEXES:
        if name not in existing:
            op.create_index(name, "cases", columns, unique=False, **options)  # type: ignore[arg-type]
    if "ix_cases_assignee_id" in existing:
        op.drop_index("ix_cases_assignee_id", table_name="cases")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(STATISTICS)
        if (bind.dialect.server_version_info or (0,)) >= (14,):  # statistics on an expression: PostgreSQL 14+
            op.execute(INTENT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_cases_intent")
        op.execute("DROP STATISTICS IF EXISTS st_cases_assignee_status")
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"], unique=False)
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name="cases")
