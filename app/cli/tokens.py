"""``flask --app wsgi token …``: API tokens for the request API and the partner API."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import tenant_by_slug
from app.extensions import db
from app.models import ApiToken, Partner

token_cli = AppGroup("token", help="API tokens.")


@token_cli.command("create")
@click.option("--tenant", "slug", required=True)
@click.option("--name", required=True, help="Who uses the token, e.g. 'telefooncentrale'.")
@click.option("--partner", "partner_key", default=None, help="Key of a partner (partner token).")
def token_create(slug: str, name: str, partner_key: str | None) -> None:
    """Print a new bearer token (only its hash is stored)."""
    from app.api import new_token

    tenant = tenant_by_slug(slug)
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
