"""referral figures by partner: the figures page with a partner chosen reads the partner's
requests of the period from one index on the referral rows (tenant, partner, received)

Revision ID: a9c4e2d7b318
Revises: f7c3a1e9b250
Create Date: 2026-12-08 00:30:00

"""
from alembic import op

revision = 'a9c4e2d7b318'
down_revision = 'f7c3a1e9b250'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral_figure', schema=None) as batch_op:
        batch_op.create_index('ix_referral_figure_partner',
                              ['tenant_id', 'partner_id', 'received_at'], unique=False,
                              postgresql_include=['request_id', 'domain'])


def downgrade():
    with op.batch_alter_table('referral_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_figure_partner')
