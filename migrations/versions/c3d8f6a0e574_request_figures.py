"""the request_figure rows the municipality's figures read, filled from the requests

Revision ID: c3d8f6a0e574
Revises: b2c7e5d9f463
Create Date: 2026-12-07 06:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = 'c3d8f6a0e574'
down_revision = 'b2c7e5d9f463'
branch_labels = None
depends_on = None

_CLOSED = sa.text('closed_at IS NOT NULL')


def upgrade():
    op.create_table(
        'request_figure',
        sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('wijk_code', sa.String(length=12), nullable=True),
        sa.Column('buurt_code', sa.String(length=12), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('age_band', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('no_fixed_address', sa.Boolean(), nullable=False),
        sa.Column('life_areas', sa.Integer(), nullable=False),
        sa.Column('referral_domains', sa.Integer(), nullable=False),
        sa.Column('feedback', sa.String(length=8), nullable=True),
        sa.Column('first_contact_seconds', sa.Float(), nullable=True),
        sa.Column('first_referral_seconds', sa.Float(), nullable=True),
        sa.Column('first_acceptance_seconds', sa.Float(), nullable=True),
        sa.Column('closure_seconds', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id']),
        sa.PrimaryKeyConstraint('request_id'),
    )
    with op.batch_alter_table('request_figure', schema=None) as batch_op:
        batch_op.create_index('ix_request_figure_received', ['tenant_id', 'received_at'],
                              unique=False)
        batch_op.create_index('ix_request_figure_closed', ['tenant_id', 'closed_at'],
                              unique=False, postgresql_where=_CLOSED, sqlite_where=_CLOSED)
    # Every request's row, from the one definition the application keeps them with.
    from app.services.request_figures import rebuild_requests

    session = Session(bind=op.get_bind())
    rebuild_requests(session)
    session.flush()


def downgrade():
    with op.batch_alter_table('request_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_request_figure_closed', postgresql_where=_CLOSED,
                            sqlite_where=_CLOSED)
        batch_op.drop_index('ix_request_figure_received')
    op.drop_table('request_figure')
