"""the legal clock as the queue reads it, and a municipality's closing days

Revision ID: 5b7e2c1d9a40
Revises: 1bd24ac03739
Create Date: 2026-12-06 13:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b7e2c1d9a40'
down_revision = '1bd24ac03739'
branch_labels = None
depends_on = None

_requests = sa.table(
    "support_request", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime),
    sa.column("decision", sa.JSON), sa.column("status", sa.String),
    sa.column("wmo_application_on", sa.Date), sa.column("wmo_investigation_done_on", sa.Date),
    sa.column("wmo_decision_on", sa.Date), sa.column("paused_days", sa.Integer),
    sa.column("waiting_since", sa.DateTime), sa.column("legal_due_on", sa.Date),
    sa.column("legal_paused_on", sa.Date))


def upgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('legal_paused_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_request_legal_due', ['tenant_id', 'owner_team_id', 'legal_due_on'],
                              unique=False, postgresql_where=sa.text('legal_due_on IS NOT NULL'),
                              sqlite_where=sa.text('legal_due_on IS NOT NULL'))
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_days', sa.JSON(), nullable=True))

    # Fill the clock of the requests there are, with the one definition (plain values).
    from app.calendar import local_date
    from app.services.legal import ClockFacts, clock_of, routes_include_wmo

    bind = op.get_bind()
    rows = bind.execute(sa.select(_requests).where(_requests.c.status != "closed")).all()
    for row in rows:
        clock = clock_of(ClockFacts(
            melding_on=local_date(row.created_at), routed_to_wmo=routes_include_wmo(row.decision),
            application_on=row.wmo_application_on,
            investigation_done_on=row.wmo_investigation_done_on, decision_on=row.wmo_decision_on,
            paused_days=row.paused_days or 0,
            paused_on=None if row.waiting_since is None else local_date(row.waiting_since),
            closed=False))
        if clock.due_on is not None or clock.paused_on is not None:
            bind.execute(_requests.update().where(_requests.c.id == row.id).values(
                legal_due_on=clock.due_on, legal_paused_on=clock.paused_on))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('closing_days')
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_legal_due', postgresql_where=sa.text('legal_due_on IS NOT NULL'),
                            sqlite_where=sa.text('legal_due_on IS NOT NULL'))
        batch_op.drop_column('legal_paused_on')
        batch_op.drop_column('legal_due_on')
