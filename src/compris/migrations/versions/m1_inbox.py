"""inbox: saved views, per-agent read marks, folded search text (issue 18)

Revision ID: m1_inbox
Revises: l6_retention
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import compris.models.base
from compris.kit.textfold import folded_or_none

revision: str = "m1_inbox"
down_revision: str | None = "l6_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: rows folded per statement by the backfill
BATCH = 1000

#: (table, source column, folded column, its type, the folded copy's longest length)
FOLDED = (
    ("messages", "text", "search_text", sa.Text(), 20_000),
    ("contacts", "display_name", "search_name", sa.String(200), 200),
    ("cases", "subject", "search_subject", sa.String(300), 300),
)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # plain ALTER TABLE ADD COLUMN (nullable): on SQLite a batch copy of ``messages``/``cases`` would fire the ON
    # DELETE actions of the tables referring to them (and a SQLite downgrade keeps the columns: add when missing)
    for table, _source, column, type_, _length in FOLDED:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(column, type_, nullable=True))
    op.create_table(
        "inbox_views",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("filters", compris.models.base.JSONType, nullable=False),
        sa.Column("updated_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_inbox_views_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_inbox_views_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_views")),
    )
    op.create_index("ix_inbox_views_ws_owner", "inbox_views", ["workspace_id", "owner_id"], unique=False)
    op.create_index(op.f("ix_inbox_views_workspace_id"), "inbox_views", ["workspace_id"], unique=False)
    op.create_table(
        "read_marks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("read_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unread", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_read_marks_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_read_marks_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_read_marks_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_marks")),
        sa.UniqueConstraint("user_id", "case_id", name=op.f("uq_read_marks_user_id_case_id")),
    )
    op.create_index("ix_read_marks_case", "read_marks", ["case_id"], unique=False)
    op.create_index(op.f("ix_read_marks_workspace_id"), "read_marks", ["workspace_id"], unique=False)
    for table, source, column, _type, length in FOLDED:
        backfill(bind, table, source, column, length)


def backfill(bind: sa.Connection, table: str, source: str, column: str, length: int, batch: int = BATCH) -> int:
    """Fold ``source`` into ``column`` for every row, ``batch`` rows per statement (keyset pagination on ``id``).
    Returns the rows written."""
    t = sa.table(table, sa.column("id", sa.Integer()), sa.column(source, sa.Text()), sa.column(column, sa.Text()))
    last, written = 0, 0
    while True:
        rows = list(bind.execute(sa.select(t.c.id, t.c[source]).where(t.c.id > last, t.c[source].is_not(None),
                                                                         t.c[source] != "")
                                 .order_by(t.c.id).limit(batch)))
        if not rows:
            return written
        changes = [{"row_id": r[0], "folded": folded_or_none(r[1], length)} for r in rows]
        bind.execute(t.update().where(t.c.id == sa.bindparam("row_id")).values({column: sa.bindparam("folded")}),
                     changes)
        written += len(changes)
        last = int(rows[-1][0])


def downgrade() -> None:
    op.drop_index(op.f("ix_read_marks_workspace_id"), table_name="read_marks")
    op.drop_index("ix_read_marks_case", table_name="read_marks")
    op.drop_table("read_marks")
    op.drop_index(op.f("ix_inbox_views_workspace_id"), table_name="inbox_views")
    op.drop_index("ix_inbox_views_ws_owner", table_name="inbox_views")
    op.drop_table("inbox_views")
    if op.get_bind().dialect.name != "sqlite":
        # SQLite keeps the (nullable, harmless) columns: dropping them copies the tables
        for table, _source, column, _type, _length in FOLDED:
            op.drop_column(table, column)
