"""``flask --app wsgi tenant …``: create a municipality, or load one from its tenant file."""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.tenants import create_tenant

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
    if result.contract_gaps:
        from app.services.contracts import describe_gaps

        click.echo("Partners responsible without a live contract (these referrals go to the "
                   "owning team as a task):\n" + describe_gaps(result.contract_gaps))
