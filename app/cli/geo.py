"""``flask --app wsgi geo …``: import maps and postcodes, prove coverage, locate addresses."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.calendar import today as local_today
from app.cli.common import tenant_by_slug
from app.extensions import db
from app.models import Area, Partner, Team, Tenant
from app.services import contracts
from app.services.routing import (
    Placement,
    area_index,
    owner_team,
    place,
    place_point,
    responsible,
)
from app.services.tenants import coverage_report, replace_areas, upsert_postcodes
from app.targets import target_json
from geo import InvalidPostcode, read_pc4_csv
from geo.importer import AreaImportError, read_areas
from referral_rules.vocabulary import DOMAINS

geo_cli = AppGroup("geo", help="Maps, postcodes and coverage.")


@geo_cli.command("import-areas")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True)
@click.option("--gemeente", "gemeenten", multiple=True,
              help="Keep only this gemeentecode (repeatable); default: the tenant's own.")
@click.option("--year", type=int, default=None, help="Map year, when the file does not say.")
def import_areas(path: Path, slug: str, gemeenten: tuple[str, ...], year: int | None) -> None:
    """Import CBS buurten and wijken (GeoJSON or GeoPackage, RD New or WGS84).

    Re-importing a year replaces that year only; older years stay, and requests keep the
    buurt they were assigned under. All or nothing: a failed import changes nothing.
    """
    tenant = tenant_by_slug(slug)
    try:
        result = read_areas(path, gemeenten or [tenant.gemeentecode], year=year)
    except AreaImportError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.year is None:
        raise click.ClickException(f"{path}: the file does not say its map year; give --year")
    replace_areas(tenant, result.areas, result.year)
    db.session.commit()
    click.echo(
        f"Imported map {result.year} for {tenant.slug}: {result.count('buurt')} buurten, "
        f"{result.count('wijk')} wijken, {result.count('gemeente')} gemeente(n) "
        f"(from {result.crs})."
    )
    if result.repaired:
        click.echo(f"Repaired invalid polygons: {', '.join(result.repaired)}")
    report = coverage_report(tenant)
    if report is not None and not report.ok:
        click.echo(f"Coverage on the new map has {len(report.gaps)} gap(s) and "
                   f"{len(report.overlaps)} overlap(s): run 'geo coverage --tenant {slug}'.")


@geo_cli.command("import-postcodes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_postcodes(path: Path) -> None:
    """Import postcode points from a CSV with postcode (PC6 or PC4), lat and lon columns."""
    try:
        points = read_pc4_csv(path)
    except (KeyError, ValueError, InvalidPostcode, UnicodeDecodeError) as exc:
        raise click.ClickException(
            f"{path}: expected columns postcode, lat, lon with Dutch postcodes and numbers "
            f"({exc.__class__.__name__}: {exc})"
        ) from exc
    if not points:
        raise click.ClickException(f"{path}: no postcode rows")
    count = upsert_postcodes(points)
    db.session.commit()
    pc6 = sum(1 for point in points if point.precision == "pc6")
    click.echo(f"Imported {count} postcodes ({pc6} PC6, {count - pc6} PC4 centroids).")


@geo_cli.command("coverage")
@click.option("--tenant", "slug", required=True)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check the contracts on this day (YYYY-MM-DD; default today) and on the "
                   "first day after each contract that ends later.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
def coverage(slug: str, on: dt.datetime | None, as_json: bool) -> None:
    """List every (buurt, domain) with no team (gap) or more than one (overlap), and where a
    partner is responsible without a live contract."""
    tenant = tenant_by_slug(slug)
    report = coverage_report(tenant)
    if report is None:
        raise click.ClickException(f"Tenant {slug} has no map; run 'geo import-areas' first.")
    day = on.date() if on is not None else local_today()
    contract_gaps = contracts.gaps(tenant, day)
    buurten = db.session.scalar(
        select(func.count(func.distinct(Area.code))).where(Area.tenant_id == tenant.id,
                                                           Area.kind == "buurt"))
    if as_json:
        click.echo(json.dumps({"tenant": slug, **report.to_dict(), "on": day.isoformat(),
                               "contract_gaps": [
                                   {"from": gap.day.isoformat(), "domain": gap.domain,
                                    "buurt": gap.place} for gap in contract_gaps]}, indent=2))
    else:
        if contract_gaps:
            click.echo(f"Partners responsible without a live contract (checked from "
                       f"{day.isoformat()}):\n" + contracts.describe_gaps(contract_gaps,
                                                                           limit=1000))
        else:
            click.echo(f"Every partner responsible has a live contract from {day.isoformat()}.")
        click.echo(f"Coverage of {tenant.name}: {buurten} buurten x {len(DOMAINS)} domains.")
        for buurt, domain in report.gaps:
            click.echo(f"  gap      {buurt}  {domain}: nobody")
        for buurt, domain, who in report.overlaps:
            click.echo(f"  overlap  {buurt}  {domain}: {', '.join(_who(w) for w in who)}")
        for code in report.unknown_areas:
            click.echo(f"  unknown  {code}: not on the map")
        click.echo("No gaps, no overlaps." if report.ok else
                   f"{len(report.gaps)} gap(s), {len(report.overlaps)} overlap(s), "
                   f"{len(report.unknown_areas)} unknown area(s).")
    if not report.ok:
        sys.exit(1)


def _who(key: str) -> str:
    kind, _, ident = key.partition(":")
    row: Team | Partner | None = (db.session.get(Team, int(ident)) if kind == "team"
                                  else db.session.get(Partner, int(ident)))
    return row.name if row is not None else key


def _describe(tenant: Tenant, placement: Placement, names: dict[str, str]) -> dict[str, Any]:
    """Who is responsible per domain. Where the coverage names a partner, the contracts
    decide who receives a referral today (as intake does): ``contract`` names it, with
    ``held`` when nobody contracted has room; None when nobody has a live contract."""
    owners: dict[str, dict[str, Any] | None] = {}
    codes = contracts.place_codes(tenant, placement.buurt_code, placement.wijk_code)
    rows = contracts.contracts_of(tenant.id)
    for domain in DOMAINS:
        try:
            target: Team | Partner | None = (
                owner_team(tenant, placement) if domain == "wijkteam"
                else responsible(tenant, placement, domain)
            )
        except LookupError:  # a tenant without teams yet
            target = None
        if isinstance(target, Partner):
            chosen = contracts.contracted(tenant, codes, domain, target, local_today(), rows)
            owners[domain] = {
                **target_json(chosen.partner if chosen else target),
                "contract": ({"key": chosen.contract.key, "held": chosen.held}
                             if chosen else None)}
        else:
            owners[domain] = target_json(target) if target is not None else None
    return {
        "buurt_code": placement.buurt_code,
        "buurt_name": names.get(placement.buurt_code or ""),
        "wijk_code": placement.wijk_code,
        "wijk_name": names.get(placement.wijk_code or ""),
        "lon": placement.lon,
        "lat": placement.lat,
        "precision": placement.precision,
        "problem": placement.problem,
        "responsible": owners,
    }


def _area_names(tenant: Tenant) -> dict[str, str]:
    rows = db.session.execute(
        select(Area.code, Area.name).where(Area.tenant_id == tenant.id).order_by(Area.year)
    ).all()
    return {code: name for code, name in rows}


@geo_cli.command("locate")
@click.option("--tenant", "slug", required=True)
@click.option("--postcode", default=None)
@click.option("--number", "house_number", default=None, help="House number, e.g. 12a.")
@click.option("--lon", type=float, default=None)
@click.option("--lat", type=float, default=None)
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Locate every row (lon,lat or postcode,house_number).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def locate(slug: str, postcode: str | None, house_number: str | None, lon: float | None,
           lat: float | None, csv_path: Path | None, as_json: bool) -> None:
    """Where is an address, and who is responsible for it per domain?"""
    tenant = tenant_by_slug(slug)
    names = _area_names(tenant)
    if csv_path is not None:
        _locate_csv(tenant, csv_path, names)
        return
    if postcode:
        placement = place(tenant, postcode, house_number, no_fixed_address=False)
    elif lon is not None and lat is not None:
        placement = place_point(tenant, lon, lat)
    else:
        raise click.UsageError("Give --postcode (and --number), --lon and --lat, or --csv.")
    described = _describe(tenant, placement, names)
    if as_json:
        click.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    if placement.buurt_code:
        click.echo(f"buurt  {placement.buurt_code} {described['buurt_name']}")
        click.echo(f"wijk   {placement.wijk_code} {described['wijk_name']}")
        if placement.precision == "pc4":
            click.echo("(approximate: only the PC4 area is known)")
    else:
        click.echo(f"no buurt: {placement.problem}")
    for domain, who in described["responsible"].items():
        click.echo(f"  {domain:<13} {_who_text(who)}")


def _who_text(who: dict[str, Any] | None) -> str:
    if who is None:
        return "-"
    if "contract" not in who:
        return str(who["name"])
    if who["contract"] is None:
        return f"{who['name']} (no live contract: the owning team gets a task)"
    held = ", full: the referral waits for room" if who["contract"]["held"] else ""
    return f"{who['name']} (contract {who['contract']['key']}{held})"


def _locate_csv(tenant: Tenant, path: Path, names: dict[str, str]) -> None:
    """One JSON object per row, in input order; points are located in one batch."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if rows and {"lon", "lat"} <= set(rows[0]):
        index = area_index(tenant)
        points = []
        for number, row in enumerate(rows, start=2):
            try:
                points.append((float(row["lon"]), float(row["lat"])))
            except (TypeError, ValueError) as exc:
                raise click.ClickException(f"{path}: line {number}: lon and lat must be "
                                           "numbers") from exc
        locations = index.locate_many(points) if index is not None else [None] * len(points)
        for (lon, lat), location in zip(points, locations, strict=True):
            click.echo(json.dumps({
                "lon": lon, "lat": lat,
                "buurt_code": location.buurt_code if location else None,
                "buurt_name": names.get(location.buurt_code) if location else None,
                "wijk_code": location.wijk_code if location else None,
                "snapped_m": round(location.distance_m, 1) if location else None,
            }, ensure_ascii=False))
    elif rows and "postcode" in rows[0]:
        for row in rows:
            placement = place(tenant, row.get("postcode"), row.get("house_number"), False)
            click.echo(json.dumps({"postcode": row.get("postcode"),
                                   "house_number": row.get("house_number"),
                                   **_describe(tenant, placement, names)}, ensure_ascii=False))
    elif rows:
        raise click.ClickException(f"{path}: expected columns lon,lat or postcode,house_number")
