"""``flask --app wsgi demo …``: the demo municipality."""

from __future__ import annotations

import click
from flask.cli import AppGroup

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
