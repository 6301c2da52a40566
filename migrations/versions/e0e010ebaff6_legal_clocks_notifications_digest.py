"""legal clocks, notifications, digest

Revision ID: e0e010ebaff6
Revises: c682621ef3d0
Create Date: 2026-11-25 08:36:52.136916

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0e010ebaff6'
down_revision = 'c682621ef3d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_run',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduled_run'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], name=op.f('fk_notification_request_id_support_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_notification_tenant_id_tenant')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_inbox', ['user_id', 'read_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wmo_investigation_done_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('wmo_application_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('wmo_decision_on', sa.Date(), nullable=True))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_digest', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('wants_digest')

    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_column('wmo_decision_on')
        batch_op.drop_column('wmo_application_on')
        batch_op.drop_column('wmo_investigation_done_on')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_tenant_id'))
        batch_op.drop_index('ix_notification_inbox')

    op.drop_table('notification')
    op.drop_table('scheduled_run')
