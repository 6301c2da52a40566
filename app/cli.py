"""Flask commands: tenant, token, demo, worker."""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Partner, Tenant, User
from app.services.tenants import create_tenant


def _tenant(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"No tenant with slug {slug!r}.")
    return tenant


tenant_cli = AppGroup("tenant", help="Municipalities (tenants).")


@tenant_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Name of the municipality.")
@click.option("--gemeentecode", required=True, help="CBS code, e.g. GM0917.")
@click.option("--ruleset", default=None, help="Ruleset slug (default: the tenant slug).")
def tenant_create(slug: str, name: str, gemeentecode: str, ruleset: str | None) -> None:
    """Create a tenant (or update its name and code)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", slug):
        raise click.ClickException("SLUG: lower-case letters, digits and hyphens only.")
    if not re.fullmatch(r"GM\d{4}", gemeentecode):
        raise click.ClickException("--gemeentecode must look like GM0917.")
    tenant = create_tenant(slug, name, gemeentecode, ruleset)
    db.session.commit()
    click.echo(f"Tenant {tenant.slug} ({tenant.name}, {tenant.gemeentecode}) ready.")


@tenant_cli.command("load")
@click.argument("slug_or_path")
@click.option("--areas", "areas_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A CBS map (GeoJSON/GeoPackage) to import with the tenant.")
@click.option("--year", type=int, default=None, help="Map year, when the map does not say.")
@click.option("--force", is_flag=True, help="Store coverage even with gaps or overlaps.")
def tenant_load(slug_or_path: str, areas_path: Path | None, year: int | None,
                force: bool) -> None:
    """Load a tenant (teams, partners, coverage, ruleset): tenants/SLUG.yaml or a file.

    With --areas the municipality's map is imported in the same transaction, and the coverage
    is checked against it; without, the tenant works without geography (central intake).
    """
    from app.services.tenants import TENANT_DIR, TenantConfigError, describe, load_tenant_file
    from geo.importer import AreaImportError, read_areas

    path = Path(slug_or_path)
    if not path.exists():
        path = TENANT_DIR / f"{slug_or_path}.yaml"
    if not path.exists():
        raise click.ClickException(f"No tenant file {slug_or_path!r} (nor {path}).")
    areas = None
    if areas_path is not None:
        from app.services.tenants import read_tenant_file

        gemeentecode = read_tenant_file(path)["gemeentecode"]
        try:
            result_areas = read_areas(areas_path, [gemeentecode], year=year)
        except AreaImportError as exc:
            raise click.ClickException(str(exc)) from exc
        if result_areas.year is None:
            raise click.ClickException(f"{areas_path}: the map does not say its year; give --year")
        areas = (result_areas.areas, result_areas.year)
    try:
        result = load_tenant_file(path, force=force, areas=areas)
    except TenantConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Tenant {result.tenant.slug} loaded" + (
        f" with map {areas[1]} ({sum(1 for a in areas[0] if a.kind == 'buurt')} buurten)."
        if areas else "."))
    if result.coverage is not None and not result.coverage.ok:
        click.echo(describe(result.coverage))


token_cli = AppGroup("token", help="API tokens.")


@token_cli.command("create")
@click.option("--tenant", "slug", required=True)
@click.option("--name", required=True, help="Who uses the token, e.g. 'telefooncentrale'.")
@click.option("--partner", "partner_key", default=None, help="Key of a partner (partner token).")
def token_create(slug: str, name: str, partner_key: str | None) -> None:
    """Print a new bearer token (only its hash is stored)."""
    from app.api import new_token

    tenant = _tenant(slug)
    partner_id = None
    if partner_key:
        partner = db.session.scalar(
            select(Partner).where(Partner.tenant_id == tenant.id, Partner.key == partner_key)
        )
        if partner is None:
            raise click.ClickException(f"No partner {partner_key!r} in {slug}.")
        partner_id = partner.id
    token, token_hash = new_token()
    db.session.add(ApiToken(tenant_id=tenant.id, name=name, token_hash=token_hash,
                            partner_id=partner_id))
    db.session.commit()
    click.echo(token)


demo_cli = AppGroup("demo", help="The demo municipality.")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load the demo municipality (idempotent)."""
    from app.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo

    tenant = seed_demo()
    click.echo(f"Demo tenant '{tenant.slug}' ({tenant.name}) ready. Accounts (password "
               f"{DEMO_PASSWORD}, authenticator key {DEMO_TOTP_SECRET}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role:<9} {account.email}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
def worker_command(once: bool) -> None:
    """Deliver outbox messages (e-mail, webhooks) until stopped."""
    from app.worker import run

    run(once=once)


def register(app: Flask) -> None:
    for command in (tenant_cli, token_cli, demo_cli, worker_command, user_cli):
        app.cli.add_command(command)
    from app.cli_geo import geo_cli
    from app.cli_rules import rules_cli

    app.cli.add_command(geo_cli)
    app.cli.add_command(rules_cli)
    app.cli.add_command(cracks_command)
    app.cli.add_command(partner_cli)


@click.command("cracks")
@click.option("--tenant", "slug", default=None, help="One municipality (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
def cracks_command(slug: str | None, as_json: bool) -> None:
    """List every place where someone may fall through the cracks; exit 1 if any."""
    import json
    import sys

    from app.services.cracks import find_cracks

    report = find_cracks(_tenant(slug) if slug else None)
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "counts": report.counts(),
                               "cracks": [c.to_dict() for c in report.cracks]}, indent=2))
    else:
        for crack in report.cracks:
            where = crack.reference or f"{crack.object_type} {crack.object_id}"
            click.echo(f"{crack.tenant}  {crack.kind:<22} {where}: {crack.detail}")
        click.echo("No cracks." if report.ok else f"{len(report.cracks)} crack(s): " + ", ".join(
            f"{kind} {count}" for kind, count in report.counts().items() if count))
    if not report.ok:
        sys.exit(1)


partner_cli = AppGroup("partner", help="Partner organisations.")


@partner_cli.command("rotate-secret")
@click.option("--tenant", "slug", required=True)
@click.argument("key")
def partner_rotate_secret(slug: str, key: str) -> None:
    """Give the partner a new webhook secret (prints it); the old one signs for a while too."""
    from app.services.tenants import rotate_webhook_secret

    tenant = _tenant(slug)
    partner = db.session.scalar(
        select(Partner).where(Partner.tenant_id == tenant.id, Partner.key == key))
    if partner is None:
        raise click.ClickException(f"No partner {key!r} in {slug}.")
    click.echo(rotate_webhook_secret(partner))


user_cli = AppGroup("user", help="Staff and partner accounts: password, second step, lock.")


def _user(email: str) -> User:
    from app.services.accounts import by_email

    user = by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email!r}.")
    return user


@user_cli.command("create")
@click.option("--tenant", "slug", required=True)
@click.option("--name", required=True, help="The person's name.")
@click.option("--email", required=True, help="Their e-mail address (they log in with it).")
@click.option("--role", type=click.Choice(["staff", "team_lead", "partner", "admin"]),
              required=True)
@click.option("--team", "team_key", default=None, help="Key of their team (staff, team_lead).")
@click.option("--partner", "partner_key", default=None, help="Key of their partner (partner).")
def user_create(slug: str, name: str, email: str, role: str, team_key: str | None,
                partner_key: str | None) -> None:
    """Make an account (e.g. a new municipality's first administrator); the person gets an
    e-mail with a link to set a password (the worker sends it)."""
    from app.i18n import force_locale
    from app.models import Team
    from app.services import accounts
    from app.services.errors import InvalidInput

    tenant = _tenant(slug)
    team_id = db.session.scalar(select(Team.id).where(
        Team.tenant_id == tenant.id, Team.key == team_key)) if team_key else None
    partner_id = db.session.scalar(select(Partner.id).where(
        Partner.tenant_id == tenant.id, Partner.key == partner_key)) if partner_key else None
    try:
        with force_locale("en"):
            user = accounts.create(tenant.id, name=name, email=email, role=role,
                                   team_id=team_id, partner_id=partner_id, actor_label="cli")
    except InvalidInput as exc:
        raise click.ClickException(f"--{exc.field}: {exc}") from exc
    click.echo(f"Account {user.email} made; an e-mail to set a password is in the outbox.")


@user_cli.command("set-password")
@click.argument("email")
@click.password_option("--password", prompt="New password",
                       help="Asked for when not given (it would stay in the shell history).")
def user_set_password(email: str, password: str) -> None:
    """Give an account a new password (the password policy applies); its sessions end."""
    from app.i18n import force_locale
    from app.services import accounts
    from app.services.errors import InvalidInput

    user = _user(email)
    try:
        with force_locale("en"):
            accounts.set_password(user, password, actor_label="cli", method="cli")
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Password of {user.email} changed.")


@user_cli.command("reset-mfa")
@click.argument("email")
def user_reset_mfa(email: str) -> None:
    """Remove an account's second step and recovery codes (a lost phone): it sets up a new
    one at its next login, and its sessions end."""
    from app.services import accounts

    user = _user(email)
    accounts.reset_mfa(user, actor_label="cli")
    click.echo(f"Second step of {user.email} removed; it is set up again at the next login.")


@user_cli.command("unlock")
@click.argument("email")
def user_unlock(email: str) -> None:
    """Lift a lock after too many failed logins, before it ends by itself."""
    from app.services import accounts

    user = _user(email)
    accounts.unlock(user, actor_label="cli")
    click.echo(f"{user.email} can log in again.")
