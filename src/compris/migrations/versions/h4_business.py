"""business actions: what agents may run from a case on the brand's own system, and each run

Revision ID: h4_business
Revises: h2_esc_partner_upload_hold
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = 'h4_business'
down_revision: str | None = "h2_esc_partner_upload_hold"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('business_actions',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('names', JSON, nullable=False),
    sa.Column('descriptions', JSON, nullable=False),
    sa.Column('endpoint_url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('secret_rotated_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('input_schema', JSON, nullable=False),
    sa.Column('prefill', JSON, nullable=False),
    sa.Column('roles', JSON, nullable=False),
    sa.Column('team_ids', JSON, nullable=False),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_business_actions_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_actions')),
    sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_business_actions_workspace_id_key'))
    )
    with op.batch_alter_table('business_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_actions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('business_action_runs',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('input', JSON, nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('started_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['business_actions.id'], name=op.f('fk_business_action_runs_action_id_business_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_business_action_runs_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_business_action_runs_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_business_action_runs_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_action_runs')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_business_action_runs_idempotency_key'))
    )
    with op.batch_alter_table('business_action_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_action_runs_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_business_action_runs_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index('ix_business_action_runs_case_created', ['case_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('business_action_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_business_action_runs_case_created')
        batch_op.drop_index(batch_op.f('ix_business_action_runs_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_business_action_runs_action_id'))
    op.drop_table('business_action_runs')
    with op.batch_alter_table('business_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_business_actions_workspace_id'))
    op.drop_table('business_actions')
