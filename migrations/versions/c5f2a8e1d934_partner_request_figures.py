"""partner request figures: one figure row per request and partner it was referred to, so
that the figures with a partner chosen read that partner's rows only

Revision ID: c5f2a8e1d934
Revises: a9c4e2d7b318
Create Date: 2026-12-08 00:50:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = 'c5f2a8e1d934'
down_revision = 'a9c4e2d7b318'
branch_labels = None
depends_on = None

_CLOSED = sa.text('closed_at IS NOT NULL')
_OPEN = sa.text('closed_at IS NULL')
# The columns as app.models names them on this day.
_GROUPS = ['wijk_code', 'buurt_code', 'channel', 'age_band', 'team_id', 'life_areas']
_RECEIVED_INCLUDE = [*_GROUPS, 'closed_at', 'no_fixed_address', 'referral_domains',
                     'first_contact_seconds', 'first_referral_seconds',
                     'first_acceptance_seconds', 'closure_seconds']
_CLOSED_INCLUDE = [*_GROUPS, 'received_at', 'referral_domains', 'feedback', 'closure_seconds']


def upgrade():
    op.create_table(
        'partner_request_figure',
        sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('partner_id', sa.Integer(), autoincrement=False, nullable=False),
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
        sa.PrimaryKeyConstraint('request_id', 'partner_id'),
    )
    with op.batch_alter_table('partner_request_figure', schema=None) as batch_op:
        batch_op.create_index('ix_partner_request_figure_received',
                              ['tenant_id', 'partner_id', 'received_at'], unique=False,
                              postgresql_include=_RECEIVED_INCLUDE)
        batch_op.create_index('ix_partner_request_figure_closed',
                              ['tenant_id', 'partner_id', 'closed_at'], unique=False,
                              postgresql_where=_CLOSED, sqlite_where=_CLOSED,
                              postgresql_include=_CLOSED_INCLUDE)
        batch_op.create_index('ix_partner_request_figure_open',
                              ['tenant_id', 'partner_id', 'received_at'], unique=False,
                              postgresql_where=_OPEN, sqlite_where=_OPEN,
                              postgresql_include=_GROUPS)
    # Every request's partner rows, from the one definition the application keeps them with.
    from app.services.request_figures import rebuild_partners

    session = Session(bind=op.get_bind())
    rebuild_partners(session)
    session.flush()


def downgrade():
    with op.batch_alter_table('partner_request_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_request_figure_open', postgresql_where=_OPEN,
                            sqlite_where=_OPEN)
        batch_op.drop_index('ix_partner_request_figure_closed', postgresql_where=_CLOSED,
                            sqlite_where=_CLOSED)
        batch_op.drop_index('ix_partner_request_figure_received')
    op.drop_table('partner_request_figure')
