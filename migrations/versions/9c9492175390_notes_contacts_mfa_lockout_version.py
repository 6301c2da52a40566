"""notes, contact moments, MFA, lockout, optimistic locking

Revision ID: 9c9492175390
Revises: e0e010ebaff6
Create Date: 2026-11-25 08:44:45.763494

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c9492175390'
down_revision = 'e0e010ebaff6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_moment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_contact_moment_author_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], name=op.f('fk_contact_moment_request_id_support_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_contact_moment_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_moment'))
    )
    with op.batch_alter_table('contact_moment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_moment_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_moment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('request_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('shareable', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_request_note_author_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['support_request.id'], name=op.f('fk_request_note_request_id_support_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_request_note_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_note'))
    )
    with op.batch_alter_table('request_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_note_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_note_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mfa_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('mfa_enabled_at')
        batch_op.drop_column('totp_secret')

    with op.batch_alter_table('support_request', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('request_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_note_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_request_note_request_id'))

    op.drop_table('request_note')
    with op.batch_alter_table('contact_moment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_moment_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contact_moment_request_id'))

    op.drop_table('contact_moment')
