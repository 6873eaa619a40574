"""customers: notes about a customer, same-customer suggestions (issue 18)

Revision ID: m3_customers
Revises: m2_notifications
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import compris.models.base

revision: str = "m3_customers"
down_revision: str | None = "m2_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Time = compris.models.base.UTCDateTime


def _scoped(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "customer_notes",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", _Time(timezone=True), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        *_scoped("customer_notes"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_customer_notes_contact_id_contacts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_customer_notes_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["edited_by_id"], ["users.id"], name=op.f("fk_customer_notes_edited_by_id_users"),
                                ondelete="SET NULL"),
    )
    op.create_index(op.f("ix_customer_notes_contact_id"), "customer_notes", ["contact_id"])
    op.create_index(op.f("ix_customer_notes_workspace_id"), "customer_notes", ["workspace_id"])

    op.create_table(
        "customer_keys",
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("shown", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", _Time(timezone=True), nullable=False),
        sa.Column("last_seen_at", _Time(timezone=True), nullable=False),
        *_scoped("customer_keys"),
        sa.ForeignKeyConstraint(["identity_id"], ["identities.id"],
                                name=op.f("fk_customer_keys_identity_id_identities"), ondelete="CASCADE"),
        sa.UniqueConstraint("identity_id", "kind", "value", name=op.f("uq_customer_keys_identity_id_kind_value")),
    )
    op.create_index("ix_customer_keys_lookup", "customer_keys", ["workspace_id", "kind", "value"])
    op.create_index("ix_customer_keys_recent", "customer_keys", ["workspace_id", "kind", "last_seen_at"])
    op.create_index(op.f("ix_customer_keys_workspace_id"), "customer_keys", ["workspace_id"])

    op.create_table(
        "same_customer_dismissals",
        sa.Column("contact_a_id", sa.Integer(), nullable=False),
        sa.Column("contact_b_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        *_scoped("same_customer_dismissals"),
        sa.ForeignKeyConstraint(["contact_a_id"], ["contacts.id"],
                                name=op.f("fk_same_customer_dismissals_contact_a_id_contacts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_b_id"], ["contacts.id"],
                                name=op.f("fk_same_customer_dismissals_contact_b_id_contacts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_same_customer_dismissals_user_id_users"),
                                ondelete="SET NULL"),
        sa.UniqueConstraint("workspace_id", "contact_a_id", "contact_b_id",
                            name=op.f("uq_same_customer_dismissals_workspace_id_contact_a_id_contact_b_id")),
    )
    op.create_index(op.f("ix_same_customer_dismissals_contact_a_id"), "same_customer_dismissals", ["contact_a_id"])
    op.create_index(op.f("ix_same_customer_dismissals_contact_b_id"), "same_customer_dismissals", ["contact_b_id"])
    op.create_index(op.f("ix_same_customer_dismissals_workspace_id"), "same_customer_dismissals", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("same_customer_dismissals")
    op.drop_table("customer_keys")
    op.drop_table("customer_notes")
