"""steps on the path from day activities on to work

Revision ID: a1f6d4c8e352
Revises: 9e5c3b7d2f41
Create Date: 2026-12-07 02:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1f6d4c8e352'
down_revision = '9e5c3b7d2f41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('progression_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_partner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_progression_step_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['recorded_by_partner_id'], ['partner.id'], name=op.f('fk_progression_step_recorded_by_partner_id_partner')),
    sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], name=op.f('fk_progression_step_request_id_support_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_progression_step_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progression_step'))
    )
    with op.batch_alter_table('progression_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progression_step_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progression_step_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('progression_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progression_step_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_progression_step_request_id'))

    op.drop_table('progression_step')
