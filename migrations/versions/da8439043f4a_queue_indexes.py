"""queue indexes: the team queue, its counts, the team lead's dashboard, the request page

Revision ID: da8439043f4a
Revises: f0528432c1dc
Create Date: 2026-11-25 09:06:33.829066

Measured with bench/queue_bench.py on 1,000,000 requests (docs/benchmarks.md):

- ix_request_team_created: a team's requests in order of receipt (newest/oldest first,
  keyset pagination) whatever their status;
- ix_request_open_queue: partial, only open requests (about 10%): the default queue
  (open, most urgent first, then oldest), its counts and the dashboard's counts;
- ix_request_wmo_application: partial, only Wmo applications waiting for a decision: the
  legal decision deadline (2 weeks) without reading every open request;
- ix_referral_waiting: partial, only referrals waiting for an answer (state sent), by tenant
  and due date (overdue, escalated, due soon; the deadline sort; the scheduler's sweep),
  without reading the referrals themselves;
- ix_audit_object: the request page's timeline and the access log (events of one object);
- ix_request_open_address, ix_request_merged_into: the request page's household view and
  possible duplicates (open requests at one address), and the history of merged requests.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'da8439043f4a'
down_revision = 'f0528432c1dc'
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")
MERGED = sa.text("merged_into_id IS NOT NULL")
APPLIED = sa.text("wmo_application_on IS NOT NULL AND wmo_decision_on IS NULL")
WAITING = sa.text("state = 'sent'")  # a referral waiting for the receiver's answer
# Carried in the queue indexes (PostgreSQL; SQLite has no INCLUDE) so that counts and the
# first step of a page are answered from the index alone for the simple filters.
FILTER_COLUMNS = ['status', 'priority', 'coordinator_id', 'channel', 'wijk_code', 'buurt_code']


def upgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.create_index('ix_request_team_created',
                              ['tenant_id', 'owner_team_id', 'created_at', 'id'], unique=False,
                              postgresql_include=FILTER_COLUMNS)
        batch_op.create_index('ix_request_open_queue',
                              ['tenant_id', 'owner_team_id', 'priority', 'created_at', 'id'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN,
                              postgresql_include=[c for c in FILTER_COLUMNS if c != 'priority'])
        batch_op.create_index('ix_request_wmo_application', ['tenant_id', 'wmo_application_on'],
                              unique=False, postgresql_where=APPLIED, sqlite_where=APPLIED)
        batch_op.create_index('ix_request_open_address', ['tenant_id', 'postcode'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_request_merged_into', ['merged_into_id'], unique=False,
                              postgresql_where=MERGED, sqlite_where=MERGED)
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_waiting', ['tenant_id', 'due_date'], unique=False,
                              postgresql_where=WAITING, sqlite_where=WAITING,
                              postgresql_include=['request_id', 'escalated_at'])
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_object', ['object_type', 'object_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_object')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_waiting')
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_merged_into')
        batch_op.drop_index('ix_request_open_address')
        batch_op.drop_index('ix_request_wmo_application')
        batch_op.drop_index('ix_request_open_queue')
        batch_op.drop_index('ix_request_team_created')
