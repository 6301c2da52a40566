"""tasks by kind: the figures count the requests with a task of a kind (turning 18, reopened)
made in a period from one index range, not from every task of the municipality

Revision ID: d8a1c6e3f257
Revises: b3e8d1f4c602
Create Date: 2026-12-08 00:45:00

"""
from alembic import op

revision = 'd8a1c6e3f257'
down_revision = 'b3e8d1f4c602'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_kind_created', ['tenant_id', 'kind', 'created_at'],
                              unique=False, postgresql_include=['request_id'])


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_kind_created')
