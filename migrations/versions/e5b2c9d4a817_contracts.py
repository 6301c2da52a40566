"""contracts: what the municipality bought from which partner, for which domains and areas,
from when to when; a referral names the contract it was made under

Every partner named in the coverage gets, for each domain it covers, a contract from the day
of this migration until further notice, for the areas the coverage gives it, so referrals go
where they went before. The municipality then corrects products, lots and dates in the
workspace or in the tenant file.

Revision ID: e5b2c9d4a817
Revises: d4e0a7b1f685
Create Date: 2026-12-07 13:30:00

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = 'e5b2c9d4a817'
down_revision = 'd4e0a7b1f685'
branch_labels = None
depends_on = None

# The product a domain's contract is for, as the vocabulary names them on this day.
_PRODUCT_OF_DOMAIN = {
    'welzijn': 'basisondersteuning', 'mantelzorg': 'mantelzorgondersteuning',
    'wmo': 'individuele_begeleiding', 'dagbesteding': 'dagbegeleiding',
    'participatie': 're_integratie', 'schulden': 'schuldhulpverlening', 'jeugd': 'jeugdhulp',
    'ggz': 'ggz', 'verslaving': 'verslavingszorg', 'wonen': 'daklozenopvang',
    'veiligheid': 'veilig_thuis',
}


def upgrade():
    contract = op.create_table(
        'contract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('product', sa.String(length=40), nullable=False),
        sa.Column('lot', sa.String(length=120), nullable=True),
        sa.Column('funding', sa.String(length=16), nullable=False),
        sa.Column('domains', sa.JSON(), nullable=False),
        sa.Column('areas', sa.JSON(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('volume', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'key'),
    )
    op.create_index('ix_contract_partner', 'contract', ['tenant_id', 'partner_id'], unique=False)
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_referral_contract_id_contract', 'contract',
                                    ['contract_id'], ['id'])

    connection = op.get_bind()
    rows = connection.execute(sa.text(
        'SELECT coverage.tenant_id, coverage.partner_id, partner.key, coverage.domain, '
        'coverage.area_code, tenant.gemeentecode FROM coverage '
        'JOIN partner ON partner.id = coverage.partner_id '
        'JOIN tenant ON tenant.id = coverage.tenant_id '
        'WHERE coverage.partner_id IS NOT NULL')).all()
    areas: dict[tuple[int, int, str, str], set[str]] = {}
    for tenant_id, partner_id, partner_key, domain, area_code, gemeentecode in rows:
        areas.setdefault((tenant_id, partner_id, partner_key, domain), set()).add(
            area_code or gemeentecode)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if areas:
        op.bulk_insert(contract, [
            {'tenant_id': tenant_id, 'key': f'{partner_key}-{domain}'[:64],
             'partner_id': partner_id, 'product': _PRODUCT_OF_DOMAIN.get(domain, 'basisondersteuning'),
             'lot': None, 'funding': 'inkoop', 'domains': [domain], 'areas': sorted(codes),
             'starts_on': now.date(), 'ends_on': None, 'volume': None,
             'created_at': now, 'updated_at': now}
            for (tenant_id, partner_id, partner_key, domain), codes in sorted(areas.items())])


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referral_contract_id_contract', type_='foreignkey')
        batch_op.drop_column('contract_id')
    op.drop_index('ix_contract_partner', table_name='contract')
    op.drop_table('contract')
