"""``flask --app wsgi figures``: the figure rows the municipality's figures read
(:mod:`app.services.request_figures`): check them against their definition, write them again."""

from __future__ import annotations

import sys

import click

from app.cli.common import tenant_by_slug


@click.group("figures")
def figures_cli() -> None:
    """The rows the municipality's figures and public statistics read."""


@figures_cli.command("check")
@click.option("--tenant", "slug", default=None, help="One municipality (default: all).")
def check_command(slug: str | None) -> None:
    """List the requests whose figure rows are not what their definition says; exit 1 if
    any (data changed past the application: run ``figures rebuild``)."""
    from app.extensions import db
    from app.services.request_figures import differences

    tenant_id = tenant_by_slug(slug).id if slug else None
    wrong = differences(db.session(), tenant_id)
    db.session.rollback()
    if not wrong:
        click.echo("Every figure row is right.")
        return
    shown = ", ".join(str(request_id) for request_id in wrong[:50])
    more = f" and {len(wrong) - 50} more" if len(wrong) > 50 else ""
    click.echo(f"{len(wrong)} request(s) with figure rows that differ: {shown}{more}")
    sys.exit(1)


@figures_cli.command("rebuild")
@click.option("--tenant", "slug", default=None, help="One municipality (default: all).")
def rebuild_command(slug: str | None) -> None:
    """Write every figure row again from its definition, in one transaction (after data
    was loaded or changed with SQL of one's own)."""
    from app.extensions import db
    from app.services.request_figures import rebuild

    tenant_id = tenant_by_slug(slug).id if slug else None
    requests, referrals, partners = rebuild(db.session(), tenant_id)
    db.session.commit()
    click.echo(f"Wrote {requests} request rows, {referrals} referral rows and {partners} "
               "partner rows.")
