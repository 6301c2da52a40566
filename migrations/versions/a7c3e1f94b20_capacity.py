"""capacity: a partner's service takes new referrals or not (and from which day again), with
its waiting time; a referral made while nobody had room is held until somebody has

Revision ID: a7c3e1f94b20
Revises: e5b2c9d4a817
Create Date: 2026-12-07 17:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e1f94b20'
down_revision = 'e5b2c9d4a817'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract') as batch:
        batch.add_column(sa.Column('accepting', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column('accepts_again_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('waiting_weeks', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('capacity_changed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('referral') as batch:
        batch.add_column(sa.Column('held_since', sa.DateTime(), nullable=True))
    op.create_index('ix_referral_held', 'referral', ['tenant_id', 'held_since'],
                    postgresql_where=sa.text('held_since IS NOT NULL'),
                    sqlite_where=sa.text('held_since IS NOT NULL'))


def downgrade():
    op.drop_index('ix_referral_held', table_name='referral')
    with op.batch_alter_table('referral') as batch:
        batch.drop_column('held_since')
    with op.batch_alter_table('contract') as batch:
        batch.drop_column('capacity_changed_at')
        batch.drop_column('waiting_weeks')
        batch.drop_column('accepts_again_on')
        batch.drop_column('accepting')
