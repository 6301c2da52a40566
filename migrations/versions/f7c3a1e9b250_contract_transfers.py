"""contract transfers: a partner's open referrals handed over to a successor when a contract
ends; a referral names the one it takes over, the transfer, and the old partner's handover note

Revision ID: f7c3a1e9b250
Revises: b8d2f0a6c413
Create Date: 2026-12-07 17:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f7c3a1e9b250'
down_revision = 'b8d2f0a6c413'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contract_transfer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('from_partner_id', sa.Integer(), nullable=False),
        sa.Column('to_partner_id', sa.Integer(), nullable=False),
        sa.Column('product', sa.String(length=40), nullable=True),
        sa.Column('from_contract_id', sa.Integer(), nullable=True),
        sa.Column('on', sa.Date(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('held_ids', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.ForeignKeyConstraint(['from_partner_id'], ['partner.id'], ),
        sa.ForeignKeyConstraint(['to_partner_id'], ['partner.id'], ),
        sa.ForeignKeyConstraint(['from_contract_id'], ['contract.id'], ),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_contract_transfer_from', 'contract_transfer',
                    ['tenant_id', 'from_partner_id'], unique=False)
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transfer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handover_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('handover_note_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_referral_transferred_from_id_referral', 'referral',
                                    ['transferred_from_id'], ['id'])
        batch_op.create_foreign_key('fk_referral_transfer_id_contract_transfer',
                                    'contract_transfer', ['transfer_id'], ['id'])
        batch_op.create_index('ix_referral_transferred_from_id', ['transferred_from_id'],
                              unique=False)
        batch_op.create_index('ix_referral_transfer_id', ['transfer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_transfer_id')
        batch_op.drop_index('ix_referral_transferred_from_id')
        batch_op.drop_constraint('fk_referral_transfer_id_contract_transfer', type_='foreignkey')
        batch_op.drop_constraint('fk_referral_transferred_from_id_referral', type_='foreignkey')
        batch_op.drop_column('handover_note_at')
        batch_op.drop_column('handover_note')
        batch_op.drop_column('transfer_id')
        batch_op.drop_column('transferred_from_id')
    op.drop_index('ix_contract_transfer_from', table_name='contract_transfer')
    op.drop_table('contract_transfer')
