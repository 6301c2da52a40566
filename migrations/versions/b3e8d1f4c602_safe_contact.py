"""safe contact: a request whose contact is not safe, with the safe way to reach the resident;
an outbox message names the request whose resident it goes to

Revision ID: b3e8d1f4c602
Revises: c5f2a8e1d934
Create Date: 2026-12-08 01:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b3e8d1f4c602'
down_revision = 'c5f2a8e1d934'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_unsafe', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('contact_unsafe_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_unsafe_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('safe_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('safe_times', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('code_word_hash', sa.String(length=255), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_message_request_id_support_request',
                                    'support_request', ['request_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_message_request_id_support_request',
                                 type_='foreignkey')
        batch_op.drop_column('request_id')
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        for column in ('code_word_hash', 'safe_times', 'safe_phone', 'contact_unsafe_by',
                       'contact_unsafe_since', 'contact_unsafe'):
            batch_op.drop_column(column)
