"""index the requests closed and the referrals ended, which the figures count per period

Revision ID: b2c7e5d9f463
Revises: a1f6d4c8e352
Create Date: 2026-12-07 02:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b2c7e5d9f463'
down_revision = 'a1f6d4c8e352'
branch_labels = None
depends_on = None

_WHERE = sa.text('closed_at IS NOT NULL')
_ENDED = sa.text('ended_at IS NOT NULL AND target_partner_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.create_index('ix_request_closed', ['tenant_id', 'closed_at'], unique=False,
                              postgresql_where=_WHERE, sqlite_where=_WHERE)
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_ended', ['tenant_id', 'ended_at'], unique=False,
                              postgresql_where=_ENDED, sqlite_where=_ENDED,
                              postgresql_include=['target_partner_id', 'state', 'outcome',
                                                  'domain', 'request_id'])


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_ended', postgresql_where=_ENDED, sqlite_where=_ENDED)
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_closed', postgresql_where=_WHERE, sqlite_where=_WHERE)
