"""``flask --app wsgi cracks``: every place where someone may fall through the cracks."""

from __future__ import annotations

import click

from app.cli.common import tenant_by_slug


@click.command("cracks")
@click.option("--tenant", "slug", default=None, help="One municipality (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
def cracks_command(slug: str | None, as_json: bool) -> None:
    """List every place where someone may fall through the cracks; exit 1 if any."""
    import json
    import sys

    from app.services.cracks import find_cracks

    report = find_cracks(tenant_by_slug(slug) if slug else None)
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
