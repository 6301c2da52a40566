"""a municipality's rules for small numbers in published figures

Revision ID: 8d4b2a6c1e30
Revises: 7c3d9e5a1b20
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '8d4b2a6c1e30'
down_revision = '7c3d9e5a1b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('small_numbers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('small_numbers')
