"""BSN, warm handover, resident messages, saved filters, reply templates, merge

Revision ID: f0528432c1dc
Revises: 9c9492175390
Create Date: 2026-11-25 08:59:11.684493

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f0528432c1dc'
down_revision = '9c9492175390'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reply_template_tenant_id_tenant')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_reply_template_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_template')),
    sa.UniqueConstraint('tenant_id', 'key', name=op.f('uq_reply_template_tenant_id'))
    )
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_template_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_saved_filter_tenant_id_tenant')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_saved_filter_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter'))
    )
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filter_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_filter_user_id'), ['user_id'], unique=False)

    op.create_table('resident_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_resident_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], name=op.f('fk_resident_message_request_id_support_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_resident_message_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_message'))
    )
    with op.batch_alter_table('resident_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_message_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_message_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bsn', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('transfer_team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transfer_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('transfer_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('transfer_requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('waiting_reminded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_support_request_merged_into_id_support_request'), 'support_request', ['merged_into_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_support_request_transfer_team_id_team'), 'team', ['transfer_team_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_support_request_transfer_requested_by_id_user_account'), 'user_account', ['transfer_requested_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_support_request_transfer_requested_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_support_request_transfer_team_id_team'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_support_request_merged_into_id_support_request'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('paused_days')
        batch_op.drop_column('waiting_reminded_at')
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('transfer_requested_by_id')
        batch_op.drop_column('transfer_requested_at')
        batch_op.drop_column('transfer_reason')
        batch_op.drop_column('transfer_team_id')
        batch_op.drop_column('bsn')

    with op.batch_alter_table('resident_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_message_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_resident_message_request_id'))

    op.drop_table('resident_message')
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filter_user_id'))
        batch_op.drop_index(batch_op.f('ix_saved_filter_tenant_id'))

    op.drop_table('saved_filter')
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_template_tenant_id'))

    op.drop_table('reply_template')
