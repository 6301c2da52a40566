"""Setting up a municipality: tenant, map, teams, partners and coverage.

A tenant file (``tenants/<slug>.yaml``) names the teams, partners and coverage, and the
municipality's look and contact details (app/services/theme.py); loading it is all-or-nothing
and refuses coverage with gaps or overlaps (DESIGN.md invariant 6).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import shapely.geometry
import yaml
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.calendar import parse_closing_days
from app.calendar import today as local_today
from app.config import BASE_DIR
from app.extensions import db
from app.i18n import force_locale
from app.models import Area, Coverage, Partner, PostcodePoint, Team, Tenant, utcnow
from app.services import audit, contracts, regions
from app.services.small_numbers import parse_small_numbers
from app.services.theme import ThemeConfigError, parse_contact, parse_theme
from geo import Area as GeoArea
from geo import Assignment, CoverageReport, check_coverage
from geo import PostcodePoint as GeoPostcodePoint
from geo.contracts import ContractGap
from referral_rules.vocabulary import DOMAINS

TENANT_DIR = BASE_DIR / "tenants"


class TenantConfigError(ValueError):
    """A tenant file is invalid; the message says where."""


@dataclass(frozen=True)
class LoadResult:
    tenant: Tenant
    coverage: CoverageReport | None
    #: Where the coverage gives a domain to a partner without a live contract, today or
    #: after a contract ends (reported, not refused: a contract may end on purpose).
    contract_gaps: list[ContractGap] = field(default_factory=list)


def create_tenant(slug: str, name: str, gemeentecode: str, ruleset: str | None = None) -> Tenant:
    """Create a tenant, or update the name and code of an existing one."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant = Tenant(slug=slug, name=name, gemeentecode=gemeentecode, ruleset=ruleset or slug)
        db.session.add(tenant)
    else:
        tenant.name, tenant.gemeentecode = name, gemeentecode
        tenant.ruleset = ruleset or tenant.ruleset
    db.session.flush()
    return tenant


def replace_areas(tenant: Tenant, areas: Iterable[GeoArea], year: int) -> int:
    """Store a map year for the tenant (replacing that same year); returns the count."""
    db.session.execute(delete(Area).where(Area.tenant_id == tenant.id, Area.year == year))
    count = 0
    for area in areas:
        db.session.add(
            Area(
                tenant_id=tenant.id,
                code=area.code,
                name=area.name,
                kind=area.kind,
                parent_code=area.parent_code,
                year=year,
                geometry=shapely.geometry.mapping(area.geometry),
            )
        )
        count += 1
    db.session.flush()
    return count


def upsert_postcodes(points: Iterable[GeoPostcodePoint], chunk: int = 2000) -> int:
    """Insert or update postcode points in bulk (a newer file replaces older points)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"postcode": p.postcode, "lon": p.lon, "lat": p.lat, "precision": p.precision}
            for p in points]
    for start in range(0, len(rows), chunk):
        statement = insert(PostcodePoint).values(rows[start:start + chunk])
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[PostcodePoint.postcode],
            set_={"lon": statement.excluded.lon, "lat": statement.excluded.lat,
                  "precision": statement.excluded.precision},
        ))
    db.session.flush()
    return len(rows)


def read_tenant_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TenantConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise TenantConfigError(f"{path}: expected a mapping at the top")
    for key in ("slug", "name", "gemeentecode", "teams"):
        if key not in data:
            raise TenantConfigError(f"{path}: missing '{key}'")
    return data


def load_tenant_file(
    path: Path, *, force: bool = False, areas: tuple[list[GeoArea], int] | None = None
) -> LoadResult:
    """Create or update the tenant with its teams, partners and coverage; commit.

    Coverage is checked against the tenant's current map: a gap or an overlap refuses the
    whole file (nothing changes) unless ``force``.
    """
    data = read_tenant_file(path)
    try:
        look = parse_theme(data.get("theme"), path)
        contact = parse_contact(data.get("contact"), path)
    except ThemeConfigError as exc:
        raise TenantConfigError(str(exc)) from exc
    try:
        closing_days = parse_closing_days(data.get("closing_days"))
        small_numbers = parse_small_numbers(data.get("small_numbers"))
    except ValueError as exc:
        raise TenantConfigError(f"{path}: {exc}") from exc
    region = _region_of(data.get("region"), path)
    if region is None and any(isinstance(item, dict) and item.get("regional")
                              for item in data.get("partners") or []):
        raise TenantConfigError(f"{path}: a 'regional' partner needs the municipality's "
                                "'region'")
    tenant = create_tenant(data["slug"], data["name"], data["gemeentecode"], data.get("ruleset"))
    tenant.region_id = regions.upsert_region(*region).id if region else None
    tenant.theme, tenant.contact = look.theme, contact
    tenant.closing_days = [day.isoformat() for day in closing_days] or None
    tenant.small_numbers = small_numbers
    tenant.logo = look.logo.data if look.logo else None
    if areas is not None:
        replace_areas(tenant, areas[0], areas[1])
    teams = _upsert(Team, tenant, data.get("teams", []), path)
    partners = _upsert(Partner, tenant, data.get("partners", []), path)
    if sum(1 for team in teams.values() if team.is_central_intake) != 1:
        db.session.rollback()
        raise TenantConfigError(f"{path}: exactly one team must have kind central_intake")
    entries = _coverage_entries(data.get("coverage", []), teams, partners, path)
    db.session.execute(delete(Coverage).where(Coverage.tenant_id == tenant.id))
    for area_code, domain, team, partner in entries:
        db.session.add(Coverage(tenant_id=tenant.id, area_code=area_code, domain=domain,
                                team_id=team.id if team else None,
                                partner_id=partner.id if partner else None))
    db.session.flush()
    report = coverage_report(tenant)
    if report is not None and not report.ok and not force:
        db.session.rollback()
        raise TenantConfigError(f"{path}: coverage has gaps or overlaps:\n{describe(report)}")
    try:
        _load_contracts(tenant, data.get("contracts") or [], partners, path)
    except TenantConfigError:
        db.session.rollback()
        raise
    found_gaps = contracts.gaps(tenant, local_today())
    db.session.commit()
    return LoadResult(tenant=tenant, coverage=report, contract_gaps=found_gaps)


def _region_of(value: object, path: Path) -> tuple[str, str] | None:
    """The file's ``region: {key, name}`` (None: the municipality is in no region)."""
    if value is None:
        return None
    if (not isinstance(value, dict) or not isinstance(value.get("key"), str)
            or not isinstance(value.get("name"), str) or not value["key"].strip()
            or not value["name"].strip()):
        raise TenantConfigError(f"{path}: 'region' needs a 'key' and a 'name'")
    return value["key"].strip(), value["name"].strip()


def _load_contracts(tenant: Tenant, items: list[dict[str, Any]], partners: dict[str, Partner],
                    path: Path) -> None:
    """The file's contracts, created or changed by key (through the same checks and audit
    as the workspace); a contract the file does not name stays as it is."""
    existing = {row.key: row for row in contracts.contracts_of(tenant.id)}
    seen: set[str] = set()
    with force_locale("en"):
        for number, item in enumerate(items, start=1):
            where = f"{path}: contract {number}"
            if not isinstance(item, dict) or item.get("partner") not in partners:
                raise TenantConfigError(f"{where}: name a known 'partner'")
            data = _contract_data(item, partners[item["partner"]], where)
            if data.key in seen:
                raise TenantConfigError(f"{where}: the key {data.key!r} is used twice")
            seen.add(data.key)
            contract = existing.get(data.key)
            found = contracts.problems(tenant, data, existing=contract)
            if found:
                raise TenantConfigError(f"{where} ({data.key}): "
                                        + " ".join(message for _field, message in found))
            existing[data.key] = contracts.save(tenant, data, contract=contract,
                                                actor_label="tenant file")


def _contract_data(item: dict[str, Any], partner: Partner, where: str) -> contracts.ContractData:
    def day(name: str) -> dt.date | None:
        value = item.get(name)
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise TenantConfigError(f"{where}: '{name}' is not a date (YYYY-MM-DD)") from exc

    starts_on = day("starts_on")
    if starts_on is None:
        raise TenantConfigError(f"{where}: give 'starts_on' (YYYY-MM-DD)")
    volume = item.get("volume")
    if volume is not None and (not isinstance(volume, int) or isinstance(volume, bool)):
        raise TenantConfigError(f"{where}: 'volume' is a whole number")
    return contracts.ContractData(
        key=str(item.get("key") or ""), partner_id=partner.id,
        product=str(item.get("product") or ""), starts_on=starts_on, ends_on=day("ends_on"),
        domains=tuple(item.get("domains") or ()), areas=tuple(item.get("areas") or ()),
        lot=item.get("lot"), funding=str(item.get("funding") or "inkoop"), volume=volume)


_Row = TypeVar("_Row", Team, Partner)


def _upsert(model: type[_Row], tenant: Tenant, items: list[dict[str, Any]],
            path: Path) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for item in items:
        if "key" not in item or "name" not in item:
            raise TenantConfigError(f"{path}: every team and partner needs 'key' and 'name'")
        row = db.session.scalar(
            select(model).where(model.tenant_id == tenant.id, model.key == item["key"])
        )
        if row is None:
            row = model(tenant_id=tenant.id, key=item["key"])
            db.session.add(row)
        row.name = item["name"]
        row.email = item.get("email")
        if isinstance(row, Team):
            row.kind = item.get("kind", "wijkteam")
            row.is_central_intake = row.kind == "central_intake"
        else:
            row.regional = bool(item.get("regional", False))
            row.webhook_url = item.get("webhook_url")
            if row.webhook_url and not row.webhook_secret:
                row.webhook_secret = new_webhook_secret()
        rows[item["key"]] = row
    db.session.flush()
    return rows


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def rotate_webhook_secret(partner: Partner) -> str:
    """A new signing secret; the old one keeps signing during the overlap. Commits."""
    partner.webhook_secret_previous = partner.webhook_secret
    partner.webhook_secret = new_webhook_secret()
    partner.webhook_secret_rotated_at = utcnow()
    audit.record("partner.webhook_secret_rotated", tenant_id=partner.tenant_id,
                 object_type="partner", object_id=partner.id, actor_label="cli")
    db.session.commit()
    return partner.webhook_secret


def _coverage_entries(items: list[dict[str, Any]], teams: dict[str, Team],
                      partners: dict[str, Partner], path: Path
                      ) -> list[tuple[str | None, str, Team | None, Partner | None]]:
    entries: list[tuple[str | None, str, Team | None, Partner | None]] = []
    for number, item in enumerate(items, start=1):
        where = f"{path}: coverage entry {number}"
        domains = item.get("domains") or [item.get("domain")]
        unknown = [d for d in domains if d not in DOMAINS]
        if unknown:
            raise TenantConfigError(f"{where}: unknown domain(s) {unknown}")
        team = teams.get(item["team"]) if "team" in item else None
        partner = partners.get(item["partner"]) if "partner" in item else None
        if (team is None) == (partner is None):
            raise TenantConfigError(f"{where}: name exactly one known 'team' or 'partner'")
        codes: list[str | None] = list(item.get("areas", []))
        if item.get("default"):
            codes.append(None)
        if not codes:
            raise TenantConfigError(f"{where}: give 'areas' or 'default: true'")
        entries.extend((code, domain, team, partner) for code in codes for domain in domains)
    return entries


def coverage_report(tenant: Tenant) -> CoverageReport | None:
    """Gaps and overlaps of the tenant's coverage over its latest map; None without a map."""
    buurten = db.session.scalars(
        select(Area).where(Area.tenant_id == tenant.id, Area.kind == "buurt")
    ).all()
    if not buurten:
        return None
    latest = max(area.year for area in buurten)
    rows = db.session.scalars(
        select(Coverage).where(Coverage.tenant_id == tenant.id, Coverage.area_code.is_not(None))
    ).all()
    assignments = [
        Assignment(
            area_code=row.area_code or "",
            domain=row.domain,
            responsible=f"team:{row.team_id}" if row.team_id else f"partner:{row.partner_id}",
        )
        for row in rows
    ]
    return check_coverage(
        [(area.code, area.parent_code, tenant.gemeentecode) for area in buurten
         if area.year == latest],
        DOMAINS,
        assignments,
    )


def describe(report: CoverageReport, limit: int = 20) -> str:
    lines = [f"  gap: {buurt} / {domain}" for buurt, domain in report.gaps[:limit]]
    lines += [f"  overlap: {buurt} / {domain}: {', '.join(who)}"
              for buurt, domain, who in report.overlaps[:limit]]
    lines += [f"  unknown area: {code}" for code in report.unknown_areas[:limit]]
    total = len(report.gaps) + len(report.overlaps) + len(report.unknown_areas)
    if total > len(lines):
        lines.append(f"  … {total - len(lines)} more: 'flask --app wsgi geo coverage' lists all "
                     f"({len(report.gaps)} gaps, {len(report.overlaps)} overlaps, "
                     f"{len(report.unknown_areas)} unknown areas)")
    return "\n".join(lines)
