"""tenant theme and contact: the look (name shown, colours, logo) and the contact details for
residents (phone, opening hours, retention, privacy officer) from the tenant file

Revision ID: 1bd24ac03739
Revises: da8439043f4a
Create Date: 2026-12-04 23:37:44.239621

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1bd24ac03739'
down_revision = 'da8439043f4a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('theme', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('contact', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('logo')
        batch_op.drop_column('contact')
        batch_op.drop_column('theme')
