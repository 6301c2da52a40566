"""``flask --app wsgi user …``: staff and partner accounts (create, password, second step, lock)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import tenant_by_slug
from app.extensions import db
from app.models import Partner, User
from app.roles import ROLES

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
@click.option("--role", type=click.Choice(list(ROLES)),
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

    tenant = tenant_by_slug(slug)
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
