"""when a referral was sent, answered, accepted and ended; a request's first contact;
the indexes punctuality reads

Revision ID: 9e5c3b7d2f41
Revises: 8d4b2a6c1e30
Create Date: 2026-12-07 01:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '9e5c3b7d2f41'
down_revision = '8d4b2a6c1e30'
branch_labels = None
depends_on = None

_SENT = sa.text('sent_at IS NOT NULL')
_APPLICATION = sa.text('wmo_application_on IS NOT NULL')
_WAITED = sa.text('paused_days > 0 OR waiting_since IS NOT NULL')

# The moments of the referrals there are, from the audit trail every move writes
# (app/services/referrals.py records "referral.<state>" on object_type 'referral'), in plain
# SQL that SQLite and PostgreSQL both read. The earliest event counts: a moment is set once.
#
# sent_at: a referral made as 'sent' has no "referral.sent" event; one made as 'proposed'
# (waiting for consent) always got a consent task. So without an event, a referral that is not
# proposed, nor withdrawn while waiting for consent, was sent when it was made.
_BACKFILL = (
    """
    UPDATE referral SET sent_at = COALESCE(
        (SELECT MIN(e.created_at) FROM audit_event e
         WHERE e.object_type = 'referral' AND e.object_id = referral.id
           AND e.action = 'referral.sent'),
        CASE WHEN referral.state = 'proposed' THEN NULL
             WHEN referral.state = 'withdrawn' AND EXISTS (
                 SELECT 1 FROM task t
                 WHERE t.referral_id = referral.id AND t.kind = 'consent_needed') THEN NULL
             ELSE referral.created_at END)
    """,
    """
    UPDATE referral SET
        answered_at = (SELECT MIN(e.created_at) FROM audit_event e
                       WHERE e.object_type = 'referral' AND e.object_id = referral.id
                         AND e.action IN ('referral.accepted', 'referral.declined')),
        accepted_at = (SELECT MIN(e.created_at) FROM audit_event e
                       WHERE e.object_type = 'referral' AND e.object_id = referral.id
                         AND e.action = 'referral.accepted')
    WHERE sent_at IS NOT NULL
    """,
    """
    UPDATE referral SET ended_at = COALESCE(
        (SELECT MIN(e.created_at) FROM audit_event e
         WHERE e.object_type = 'referral' AND e.object_id = referral.id
           AND e.action IN ('referral.completed', 'referral.declined', 'referral.returned',
                            'referral.expired', 'referral.withdrawn')),
        referral.updated_at)
    WHERE state IN ('completed', 'declined', 'returned', 'expired', 'withdrawn')
    """,
    """
    UPDATE support_request SET first_contact_at = (
        SELECT MIN(c.happened_at) FROM contact_moment c
        WHERE c.request_id = support_request.id)
    WHERE EXISTS (SELECT 1 FROM contact_moment c WHERE c.request_id = support_request.id)
    """,
)


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_referral_sent', ['tenant_id', 'sent_at'], unique=False,
                              postgresql_where=_SENT, sqlite_where=_SENT,
                              postgresql_include=['due_date', 'answered_at', 'ended_at', 'domain',
                                                  'target_team_id', 'target_partner_id',
                                                  'request_id'])
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_request_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_request_application', ['tenant_id', 'wmo_application_on'],
                              unique=False, postgresql_where=_APPLICATION,
                              sqlite_where=_APPLICATION)
        batch_op.create_index('ix_request_waited', ['tenant_id', 'created_at'], unique=False,
                              postgresql_where=_WAITED, sqlite_where=_WAITED)

    for statement in _BACKFILL:
        op.execute(statement)


def downgrade():
    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_waited', postgresql_where=_WAITED, sqlite_where=_WAITED)
        batch_op.drop_index('ix_request_application', postgresql_where=_APPLICATION,
                            sqlite_where=_APPLICATION)
        batch_op.drop_index('ix_request_created')
        batch_op.drop_column('first_contact_at')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_sent', postgresql_where=_SENT, sqlite_where=_SENT)
        batch_op.drop_column('ended_at')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('sent_at')
