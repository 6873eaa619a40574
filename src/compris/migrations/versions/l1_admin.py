"""administration: invitations, audit log, retention, erasures; users (signature, instance admin, single sign-on)
and API tokens (scopes, expiry; tokens made before scopes keep every power they had)

Revision ID: l1_admin
Revises: k8_posts
Create Date: 2026-12-06 11:42:22.262069
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import compris.models.base

revision: str = 'l1_admin'
down_revision: str | None = 'k8_posts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_anchors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_audit_anchors_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors'))
    )
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_anchors_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=300), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_audit_entries_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('workspace_id', 'seq', name=op.f('uq_audit_entries_workspace_id_seq'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_event'), ['event'], unique=False)
        batch_op.create_index('ix_audit_entries_unsealed', ['workspace_id', 'id'], unique=False, postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
        batch_op.create_index('ix_audit_entries_workspace_at', ['workspace_id', 'at'], unique=False)

    op.create_table('retention_policies',
    sa.Column('messages_days', sa.Integer(), nullable=True),
    sa.Column('attachments_days', sa.Integer(), nullable=True),
    sa.Column('raw_events_days', sa.Integer(), nullable=True),
    sa.Column('audit_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_run_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_run', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_retention_policies_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_policies')),
    sa.UniqueConstraint('workspace_id', name=op.f('uq_retention_policies_workspace_id'))
    )
    with op.batch_alter_table('retention_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_policies_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('erasures',
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmation_code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('done_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_erasures_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_erasures_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures')),
    sa.UniqueConstraint('confirmation_code', name=op.f('uq_erasures_confirmation_code'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasures_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('invitations',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('team_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_user_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', compris.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_user_id'], ['users.id'], name=op.f('fk_invitations_accepted_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_invitations_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_workspace_id'), ['workspace_id'], unique=False)

    op.add_column('api_tokens', sa.Column('scopes', sa.String(length=64), nullable=False, server_default='read write admin'))
    op.add_column('api_tokens', sa.Column('expires_at', compris.models.base.UTCDateTime(timezone=True), nullable=True))


    # plain ALTER TABLE ADD COLUMN and CREATE INDEX: on SQLite a batch copy of ``users`` would fire the ON DELETE
    # actions of every table referring to it
    # (a SQLite downgrade keeps these columns: add only the missing ones)
    present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('users')}
    for column in (
        sa.Column('signature', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('instance_admin', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('oidc_issuer', sa.String(length=500), nullable=True),
        sa.Column('oidc_subject', sa.String(length=255), nullable=True),
        sa.Column('password_changed_at', compris.models.base.UTCDateTime(timezone=True), nullable=True),
    ):
        if column.name not in present:
            op.add_column('users', column)
    op.create_index('uq_users_oidc_issuer_oidc_subject', 'users', ['oidc_issuer', 'oidc_subject'], unique=True)



def downgrade() -> None:
    op.drop_index('uq_users_oidc_issuer_oidc_subject', table_name='users')
    if op.get_bind().dialect.name != 'sqlite':
        # SQLite keeps the (defaulted, harmless) columns: dropping them copies ``users``, which would fire the ON
        # DELETE actions of every table referring to it
        for column in ('password_changed_at', 'oidc_subject', 'oidc_issuer', 'instance_admin', 'signature'):
            op.drop_column('users', column)


    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scopes')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_invitations_email'))

    op.drop_table('invitations')
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_erasures_contact_id'))

    op.drop_table('erasures')
    with op.batch_alter_table('retention_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_policies_workspace_id'))

    op.drop_table('retention_policies')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_workspace_at')
        batch_op.drop_index('ix_audit_entries_unsealed', postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_event'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_contact_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_case_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_user_id'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_anchors_workspace_id'))

    op.drop_table('audit_anchors')
