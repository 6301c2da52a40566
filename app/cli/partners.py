"""``flask --app wsgi partner …``: partner organisations (their webhook secret)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import tenant_by_slug
from app.extensions import db
from app.models import Partner

partner_cli = AppGroup("partner", help="Partner organisations.")


@partner_cli.command("rotate-secret")
@click.option("--tenant", "slug", required=True)
@click.argument("key")
def partner_rotate_secret(slug: str, key: str) -> None:
    """Give the partner a new webhook secret (prints it); the old one signs for a while too."""
    from app.services.tenants import rotate_webhook_secret

    tenant = tenant_by_slug(slug)
    partner = db.session.scalar(
        select(Partner).where(Partner.tenant_id == tenant.id, Partner.key == key))
    if partner is None:
        raise click.ClickException(f"No partner {key!r} in {slug}.")
    click.echo(rotate_webhook_secret(partner))
