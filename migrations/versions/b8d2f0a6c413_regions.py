"""regions: municipalities that buy lots together; a regional partner works for every member

Revision ID: b8d2f0a6c413
Revises: a7c3e1f94b20
Create Date: 2026-12-07 18:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b8d2f0a6c413'
down_revision = 'a7c3e1f94b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'region',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_region')),
        sa.UniqueConstraint('key', name=op.f('uq_region_key')),
    )
    with op.batch_alter_table('tenant') as batch:
        batch.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_tenant_region_id_region', 'region', ['region_id'], ['id'])
    with op.batch_alter_table('partner') as batch:
        batch.add_column(sa.Column('regional', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('partner') as batch:
        batch.drop_column('regional')
    with op.batch_alter_table('tenant') as batch:
        batch.drop_constraint('fk_tenant_region_id_region', type_='foreignkey')
        batch.drop_column('region_id')
    op.drop_table('region')
