"""the referral_figure rows the figures count referrals from, and covering indexes on the
figure rows (PostgreSQL), so that a year of figures reads indexes only

Revision ID: d4e0a7b1f685
Revises: c3d8f6a0e574
Create Date: 2026-12-07 11:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = 'd4e0a7b1f685'
down_revision = 'c3d8f6a0e574'
branch_labels = None
depends_on = None

_CLOSED = sa.text('closed_at IS NOT NULL')
_OPEN = sa.text('closed_at IS NULL')
_SENT = sa.text('sent_at IS NOT NULL')
# The columns as app.models names them on this day (a migration does not follow later
# changes of the models).
_GROUPS = ['wijk_code', 'buurt_code', 'channel', 'age_band', 'team_id', 'life_areas']
_RECEIVED_INCLUDE = [*_GROUPS, 'closed_at', 'no_fixed_address', 'referral_domains',
                     'first_contact_seconds', 'first_referral_seconds',
                     'first_acceptance_seconds', 'closure_seconds']
_CLOSED_INCLUDE = [*_GROUPS, 'received_at', 'referral_domains', 'feedback', 'closure_seconds']
_REFERRAL_INCLUDE = [*_GROUPS, 'state', 'domain', 'partner_id', 'request_id']


def _figure_indexes(received_include, closed_include):
    with op.batch_alter_table('request_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_request_figure_closed', postgresql_where=_CLOSED,
                            sqlite_where=_CLOSED)
        batch_op.drop_index('ix_request_figure_received')
        batch_op.create_index('ix_request_figure_received', ['tenant_id', 'received_at'],
                              unique=False, postgresql_include=received_include)
        batch_op.create_index('ix_request_figure_closed', ['tenant_id', 'closed_at'],
                              unique=False, postgresql_where=_CLOSED, sqlite_where=_CLOSED,
                              postgresql_include=closed_include)


def upgrade():
    _figure_indexes(_RECEIVED_INCLUDE, _CLOSED_INCLUDE)
    with op.batch_alter_table('request_figure', schema=None) as batch_op:
        batch_op.create_index('ix_request_figure_open', ['tenant_id', 'received_at'],
                              unique=False, postgresql_where=_OPEN, sqlite_where=_OPEN,
                              postgresql_include=_GROUPS)
    op.create_table(
        'referral_figure',
        sa.Column('referral_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('domain', sa.String(length=32), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('wijk_code', sa.String(length=12), nullable=True),
        sa.Column('buurt_code', sa.String(length=12), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('age_band', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('life_areas', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id']),
        sa.PrimaryKeyConstraint('referral_id'),
    )
    with op.batch_alter_table('referral_figure', schema=None) as batch_op:
        batch_op.create_index('ix_referral_figure_made', ['tenant_id', 'created_at'],
                              unique=False, postgresql_include=_REFERRAL_INCLUDE)
        batch_op.create_index('ix_referral_figure_sent', ['tenant_id', 'sent_at'],
                              unique=False, postgresql_where=_SENT, sqlite_where=_SENT,
                              postgresql_include=_REFERRAL_INCLUDE)
        batch_op.create_index('ix_referral_figure_request_id', ['request_id'], unique=False)
    # Every referral's row, from the one definition the application keeps them with.
    from app.services.request_figures import rebuild_referrals

    session = Session(bind=op.get_bind())
    rebuild_referrals(session)
    session.flush()


def downgrade():
    with op.batch_alter_table('referral_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_figure_request_id')
        batch_op.drop_index('ix_referral_figure_sent', postgresql_where=_SENT,
                            sqlite_where=_SENT)
        batch_op.drop_index('ix_referral_figure_made')
    op.drop_table('referral_figure')
    with op.batch_alter_table('request_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_request_figure_open', postgresql_where=_OPEN,
                            sqlite_where=_OPEN)
    _figure_indexes(None, None)
