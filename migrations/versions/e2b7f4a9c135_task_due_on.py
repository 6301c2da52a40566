"""a task's own legal deadline: a resident's request to correct or erase data must be
answered within a month (AVG art. 12(3))

Revision ID: e2b7f4a9c135
Revises: d8a1c6e3f257
Create Date: 2026-12-08 01:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e2b7f4a9c135'
down_revision = 'd8a1c6e3f257'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('due_on')
