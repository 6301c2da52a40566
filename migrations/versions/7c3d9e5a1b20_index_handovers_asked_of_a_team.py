"""index the handovers asked of a team, which the receiving team's queue lists

Revision ID: 7c3d9e5a1b20
Revises: 5b7e2c1d9a40
Create Date: 2026-12-07 00:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c3d9e5a1b20'
down_revision = '5b7e2c1d9a40'
branch_labels = None
depends_on = None

_WHERE = sa.text('transfer_team_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.create_index('ix_request_transfer',
                              ['tenant_id', 'transfer_team_id', 'transfer_requested_at'],
                              unique=False, postgresql_where=_WHERE, sqlite_where=_WHERE)


def downgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_transfer', postgresql_where=_WHERE, sqlite_where=_WHERE)
