"""listening: tags, alerts, clusters, incidents, bulk runs

Revision ID: k1_listening
Revises: j1_sessions
Create Date: 2026-12-06 08:18:18.692664
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "k1_listening"
down_revision: str | None = "j1_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_tags_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_tags_workspace_id_key")),
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "match", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "statements", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "closing", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("crisis", sa.Boolean(), nullable=False),
        sa.Column("crisis_priority", sa.Integer(), nullable=False),
        sa.Column("crisis_sla_policy_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_sla_policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_incidents_crisis_sla_policy_id_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"], ["users.id"], name=op.f("fk_incidents_opened_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_incidents_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_incidents_workspace_id_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_incidents_ws_status", ["workspace_id", "status"], unique=False)

    op.create_table(
        "bulk_runs",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("finished_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_bulk_runs_actor_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_bulk_runs_incident_id_incidents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_bulk_runs_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_runs")),
    )
    with op.batch_alter_table("bulk_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_runs_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "case_tags",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"], ["users.id"], name=op.f("fk_case_tags_added_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_tags_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_case_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_case_tags_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_tags")),
        sa.UniqueConstraint("case_id", "tag_id", name=op.f("uq_case_tags_case_id_tag_id")),
    )
    with op.batch_alter_table("case_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tags_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_case_tags_ws_tag_case", ["workspace_id", "tag_id", "case_id"], unique=False)

    op.create_table(
        "incident_cases",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=16), nullable=False),
        sa.Column("linked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_incident_cases_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_cases_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_user_id"],
            ["users.id"],
            name=op.f("fk_incident_cases_linked_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_incident_cases_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_cases")),
        sa.UniqueConstraint("incident_id", "case_id", name=op.f("uq_incident_cases_incident_id_case_id")),
    )
    with op.batch_alter_table("incident_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_cases_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_cases_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "listening_clusters",
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column(
            "centroid", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "languages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "networks", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "keywords", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("first_message_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_listening_clusters_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_clusters_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_clusters")),
    )
    with op.batch_alter_table("listening_clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_clusters_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index(
            "ix_listening_clusters_ws_open_last", ["workspace_id", "open", "last_message_at"], unique=False
        )

    op.create_table(
        "bulk_items",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_bulk_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_bulk_items_message_id_messages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bulk_runs.id"], name=op.f("fk_bulk_items_run_id_bulk_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_bulk_items_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_items")),
        sa.UniqueConstraint("run_id", "case_id", name=op.f("uq_bulk_items_run_id_case_id")),
    )
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_items_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulk_items_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "listening_alerts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("window_start", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"],
            ["users.id"],
            name=op.f("fk_listening_alerts_acknowledged_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_listening_alerts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["listening_clusters.id"],
            name=op.f("fk_listening_alerts_cluster_id_listening_clusters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_listening_alerts_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_alerts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_alerts")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_listening_alerts_workspace_id_key")),
    )
    with op.batch_alter_table("listening_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_alerts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listening_alerts_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_listening_alerts_ws_created", ["workspace_id", "created_at"], unique=False)

    op.create_table(
        "listening_cluster_members",
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_listening_cluster_members_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["listening_clusters.id"],
            name=op.f("fk_listening_cluster_members_cluster_id_listening_clusters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_listening_cluster_members_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_cluster_members_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_cluster_members")),
        sa.UniqueConstraint("message_id", name=op.f("uq_listening_cluster_members_message_id")),
    )
    with op.batch_alter_table("listening_cluster_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listening_cluster_members_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_listening_cluster_members_cluster", ["cluster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listening_cluster_members_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("listening_cluster_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listening_cluster_members_workspace_id"))
        batch_op.drop_index("ix_listening_cluster_members_cluster")
        batch_op.drop_index(batch_op.f("ix_listening_cluster_members_case_id"))

    op.drop_table("listening_cluster_members")
    with op.batch_alter_table("listening_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_alerts_ws_created")
        batch_op.drop_index(batch_op.f("ix_listening_alerts_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_listening_alerts_case_id"))

    op.drop_table("listening_alerts")
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_items_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_bulk_items_case_id"))

    op.drop_table("bulk_items")
    with op.batch_alter_table("listening_clusters", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_clusters_ws_open_last")
        batch_op.drop_index(batch_op.f("ix_listening_clusters_workspace_id"))

    op.drop_table("listening_clusters")
    with op.batch_alter_table("incident_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_cases_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_incident_cases_case_id"))

    op.drop_table("incident_cases")
    with op.batch_alter_table("case_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_case_tags_ws_tag_case")
        batch_op.drop_index(batch_op.f("ix_case_tags_workspace_id"))

    op.drop_table("case_tags")
    with op.batch_alter_table("bulk_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_runs_workspace_id"))

    op.drop_table("bulk_runs")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_ws_status")
        batch_op.drop_index(batch_op.f("ix_incidents_workspace_id"))

    op.drop_table("incidents")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_workspace_id"))

    op.drop_table("tags")
