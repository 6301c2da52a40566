"""The demo municipality: tenant ``demo`` with map, postcodes, teams, partners and accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Partner, Team, Tenant, User, utcnow
from app.roles import ADMIN, BELEID, PARTNER, STAFF, TEAM_LEAD
from app.services.passwords import hash_password
from app.services.tenants import (
    TENANT_DIR,
    create_tenant,
    load_tenant_file,
    replace_areas,
    upsert_postcodes,
)
from geo.demo import demo_areas, demo_postcodes

DEMO_MAP_YEAR = 2026
DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - published demo credentials
# The second factor of every demo account (TOTP, RFC 6238), published like the password: add
# it to any authenticator app, or read the code on the demo's code page (local demo only).
DEMO_TOTP_SECRET = "WIJKLOKETDEMOWIJKLOKETDEMO234567"  # noqa: S105 - published demo credentials


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    team: str | None = None
    partner: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("noord@demo.wijkloket.example", "Noor Wijkteam", STAFF, team="noord"),
    DemoAccount("lead-noord@demo.wijkloket.example", "Lea Teamleider", TEAM_LEAD, team="noord"),
    DemoAccount("zuid@demo.wijkloket.example", "Sam Wijkteam", STAFF, team="zuid"),
    DemoAccount("centraal@demo.wijkloket.example", "Chris Centraal", STAFF, team="centraal"),
    DemoAccount("jeugd@demo.wijkloket.example", "Jet Jeugdteam", STAFF, team="jeugd"),
    DemoAccount("schuldhulp@demo.wijkloket.example", "Sanne Schuldhulp", PARTNER,
                partner="schuldhulp"),
    DemoAccount("welzijn@demo.wijkloket.example", "Wim Welzijn", PARTNER, partner="welzijn"),
    DemoAccount("ggz@demo.wijkloket.example", "Gerrit De Brug", PARTNER, partner="ggz"),
    DemoAccount("veilig@demo.wijkloket.example", "Vera Veilig Thuis", PARTNER, partner="veilig"),
    DemoAccount("admin@demo.wijkloket.example", "Ada Beheer", ADMIN),
    DemoAccount("beleid@demo.wijkloket.example", "Bea Beleid", BELEID),
)


def seed_demo() -> Tenant:
    """Create or refresh the demo tenant; running it twice changes nothing more."""
    tenant = create_tenant("demo", "Demodorp", "GM9999", "demo")
    replace_areas(tenant, demo_areas(), DEMO_MAP_YEAR)
    upsert_postcodes(demo_postcodes())
    db.session.commit()
    load_tenant_file(TENANT_DIR / "demo.yaml")
    teams = {t.key: t for t in db.session.scalars(select(Team).where(Team.tenant_id == tenant.id))}
    partners = {
        p.key: p for p in db.session.scalars(select(Partner).where(Partner.tenant_id == tenant.id))
    }
    password_hash = hash_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = User(email=account.email, tenant_id=tenant.id, password_hash=password_hash)
            db.session.add(user)
        user.name, user.role = account.name, account.role
        user.team_id = teams[account.team].id if account.team else None
        user.partner_id = partners[account.partner].id if account.partner else None
        user.totp_secret = DEMO_TOTP_SECRET
        user.mfa_enabled_at = user.mfa_enabled_at or utcnow()
    db.session.commit()
    return tenant
