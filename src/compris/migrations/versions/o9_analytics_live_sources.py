"""analytics at 2,000,000 cases (issue 15): the expected wait, the guard's findings and the tags in the rollups

Three figures were counted from their own tables at each request: the expected wait announced against the actual
(``wait_predictions``), the reply guard's findings (``guard_events``) and the new cases per tag (``case_tags``
joined to the cases). At 2,000,000 cases a year of them took 0.3–1.5 s each. They are now facts of each case's
contribution (``wait_n``, ``wait_actual``, ``wait_error``, ``wait_within``; ``guard:<rule>``, ``guard_ovr:<rule>``;
``tag:<id>``), kept by the rollup job like every other figure.

No schema change: the cases that have any of those rows are marked for the ``analytics.rollup`` job, which
recomputes them in the background (about 500 cases a second on two cores; those three figures fill in meanwhile,
every other figure is unchanged). ``compris analytics rebuild`` does the same at once.

Revision ID: o9_analytics_live_sources
Revises: o8_analytics_drill_indexes
Create Date: 2026-12-07 19:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "o9_analytics_live_sources"
down_revision: str | None = "o8_analytics_drill_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    at = datetime.now(UTC)
    bind.execute(sa.text(
        "INSERT INTO analytics_dirty (workspace_id, case_id, marked_at) "
        "SELECT c.workspace_id, c.id, :at FROM cases c WHERE EXISTS (SELECT 1 FROM wait_predictions w "
        "WHERE w.case_id = c.id) OR EXISTS (SELECT 1 FROM guard_events g WHERE g.case_id = c.id) "
        "OR EXISTS (SELECT 1 FROM case_tags t WHERE t.case_id = c.id)"),
        {"at": at if bind.dialect.name == "postgresql" else at.replace(tzinfo=None)})


def downgrade() -> None:
    """Nothing to undo: the recomputed contributions hold facts the code before does not read (a rebuild with
    it drops them)."""
