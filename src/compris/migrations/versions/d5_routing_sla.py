"""routing and SLA: teams, agents, rules, SLA policies, breaches, expected-wait publications

Revision ID: d5_routing_sla
Revises: a5956db7fea0
Create Date: 2026-11-22 19:10:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = "d5_routing_sla"
down_revision: str | None = "a5956db7fea0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _scoped(table: str) -> list[sa.schema.SchemaItem]:
    """The columns and constraints of ``WorkspaceScoped``."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _workspace_index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_workspace_id"), ["workspace_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("shifts", _json(), nullable=False),
        *_scoped("teams"),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )
    _workspace_index("teams")

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        *_scoped("team_members"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users"), ondelete="CASCADE"),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_members_team_id_user_id")),
    )
    _workspace_index("team_members")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "agent_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("presence", sa.String(length=16), nullable=False),
        sa.Column("last_seen_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_assigned_at", compris.models.base.UTCDateTime(timezone=True), nullable=True),
        *_scoped("agent_profiles"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_agent_profiles_user_id")),
    )
    _workspace_index("agent_profiles")

    op.create_table(
        "routing_rules",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("conditions", _json(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_scoped("routing_rules"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_routing_rules_team_id_teams"), ondelete="CASCADE"
        ),
    )
    _workspace_index("routing_rules")
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rules_team_id"), ["team_id"], unique=False)

    op.create_table(
        "business_hours",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", _json(), nullable=False),
        *_scoped("business_hours"),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_business_hours_workspace_id_name")),
    )
    _workspace_index("business_hours")

    op.create_table(
        "sla_policies",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("networks", _json(), nullable=False),
        sa.Column("channel_account_ids", _json(), nullable=False),
        sa.Column("intents", _json(), nullable=False),
        sa.Column("min_priority", sa.Integer(), nullable=True),
        sa.Column("first_response_s", sa.Integer(), nullable=True),
        sa.Column("next_response_s", sa.Integer(), nullable=True),
        sa.Column("resolution_s", sa.Integer(), nullable=True),
        sa.Column("warn_before_s", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_scoped("sla_policies"),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["business_hours.id"],
            name=op.f("fk_sla_policies_business_hours_id_business_hours"),
            ondelete="SET NULL",
        ),
    )
    _workspace_index("sla_policies")

    op.create_table(
        "sla_breaches",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("breached_at", compris.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        *_scoped("sla_breaches"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_sla_breaches_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_sla_breaches_policy_id_sla_policies"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("case_id", "metric", "cycle", name=op.f("uq_sla_breaches_case_id_metric_cycle")),
    )
    _workspace_index("sla_breaches")
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.create_index("ix_sla_breaches_ws_breached", ["workspace_id", "breached_at"], unique=False)

    op.create_table(
        "sla_settings",
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("alert_at_risk", sa.Boolean(), nullable=False),
        *_scoped("sla_settings"),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_sla_settings_workspace_id")),
    )
    _workspace_index("sla_settings")

    op.create_table(
        "wait_publications",
        sa.Column("channel_account_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("auto_ack", sa.Boolean(), nullable=False),
        *_scoped("wait_publications"),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_wait_publications_channel_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("channel_account_id", name=op.f("uq_wait_publications_channel_account_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_wait_publications_public_id")),
    )
    _workspace_index("wait_publications")

    op.create_table(
        "wait_predictions",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel_account_id", sa.Integer(), nullable=True),
        sa.Column("predicted_s", sa.Integer(), nullable=False),
        sa.Column("actual_s", sa.Integer(), nullable=True),
        *_scoped("wait_predictions"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_wait_predictions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_wait_predictions_channel_account_id_channel_accounts"),
            ondelete="SET NULL",
        ),
    )
    _workspace_index("wait_predictions")
    with op.batch_alter_table("wait_predictions", schema=None) as batch_op:
        batch_op.create_index("ix_wait_predictions_case", ["case_id", "actual_s"], unique=False)
        batch_op.create_index("ix_wait_predictions_ws_created", ["workspace_id", "created_at"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        for name in ("sla_first_response_due", "sla_next_response_due", "sla_resolution_due", "sla_next_due_at",
                     "sla_check_at"):
            batch_op.add_column(sa.Column(name, compris.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_status", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_sla_policy_id_sla_policies"), "sla_policies", ["sla_policy_id"], ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_cases_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_sla_check_at"), ["sla_check_at"], unique=False)
        batch_op.create_index("ix_cases_ws_sla_next_due", ["workspace_id", "sla_next_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_ws_sla_next_due")
        batch_op.drop_index(batch_op.f("ix_cases_sla_check_at"))
        batch_op.drop_index(batch_op.f("ix_cases_team_id"))
        batch_op.drop_constraint(batch_op.f("fk_cases_sla_policy_id_sla_policies"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_team_id_teams"), type_="foreignkey")
        for name in ("sla_status", "sla_check_at", "sla_next_due_at", "sla_resolution_due", "sla_next_response_due",
                     "sla_first_response_due", "sla_policy_id", "team_id"):
            batch_op.drop_column(name)

    for table in ("wait_predictions", "wait_publications", "sla_settings", "sla_breaches", "sla_policies",
                  "business_hours", "routing_rules", "agent_profiles", "team_members", "teams"):
        op.drop_table(table)
