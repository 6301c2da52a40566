"""Where a request is, and who owns it: the one place that decides ownership.

``geo`` answers point → buurt; this module adds the tenant's map and coverage from the
database. Unknown address, no fixed address, outside every area: the central intake team
owns the request (DESIGN.md invariant 2).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import shapely.geometry
from flask import current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Area, Coverage, Partner, PostcodePoint, Team, Tenant
from geo import Area as GeoArea
from geo import (
    AreaIndex,
    InvalidPostcode,
    area_from_geojson_feature,  # noqa: F401 - re-exported for the tenant loader
    normalize_postcode,
)
from referral_rules.vocabulary import OWNER_DOMAIN


@dataclass(frozen=True)
class Placement:
    """Where a request is. ``problem`` says why there is no buurt, when there is none."""

    lon: float | None = None
    lat: float | None = None
    precision: str | None = None  # pc6, pc4
    buurt_code: str | None = None
    wijk_code: str | None = None
    problem: str | None = None  # no_fixed_address, unknown_postcode, outside_area


_index_lock = threading.Lock()
_index_cache: dict[int, tuple[tuple[int, int], AreaIndex]] = {}


def area_index(tenant: Tenant) -> AreaIndex | None:
    """The tenant's buurt index, rebuilt when its map changes; None without a map."""
    stamp_row = db.session.execute(
        select(func.count(Area.id), func.coalesce(func.max(Area.id), 0)).where(
            Area.tenant_id == tenant.id, Area.kind == "buurt"
        )
    ).one()
    stamp = (int(stamp_row[0]), int(stamp_row[1]))
    if stamp[0] == 0:
        return None
    with _index_lock:
        cached = _index_cache.get(tenant.id)
        if cached and cached[0] == stamp:
            return cached[1]
    latest_year = select(func.max(Area.year)).where(
        Area.tenant_id == tenant.id, Area.kind == "buurt"
    ).scalar_subquery()
    rows = db.session.scalars(
        select(Area).where(
            Area.tenant_id == tenant.id, Area.kind == "buurt", Area.year == latest_year
        )
    ).all()
    index = AreaIndex(
        [
            GeoArea(
                code=row.code,
                name=row.name,
                kind="buurt",
                parent_code=row.parent_code,
                geometry=shapely.geometry.shape(row.geometry),
            )
            for row in rows
        ],
        snap_distance_m=current_app.config["GEO_SNAP_DISTANCE_M"],
    )
    with _index_lock:
        _index_cache[tenant.id] = (stamp, index)
    return index


def place(
    tenant: Tenant, postcode: str | None, house_number: str | None, no_fixed_address: bool
) -> Placement:
    """Postcode + house number → point → buurt. Never raises for an unknown place."""
    if no_fixed_address or not postcode:
        return Placement(problem="no_fixed_address")
    try:
        pc6 = normalize_postcode(postcode)
    except InvalidPostcode:
        return Placement(problem="unknown_postcode")
    point = db.session.get(PostcodePoint, pc6) or db.session.get(PostcodePoint, pc6[:4])
    if point is None:
        return Placement(problem="unknown_postcode")
    index = area_index(tenant)
    location = index.locate(point.lon, point.lat) if index is not None else None
    if location is None:
        return Placement(
            lon=point.lon, lat=point.lat, precision=point.precision, problem="outside_area"
        )
    return Placement(
        lon=point.lon,
        lat=point.lat,
        precision=point.precision,
        buurt_code=location.buurt_code,
        wijk_code=location.wijk_code,
    )


def central_intake_team(tenant: Tenant) -> Team:
    """The tenant's central intake team; every tenant has exactly one."""
    team = db.session.scalar(
        select(Team).where(Team.tenant_id == tenant.id, Team.is_central_intake.is_(True))
    )
    if team is None:
        raise LookupError(f"Tenant {tenant.slug} has no central intake team.")
    return team


def responsible(
    tenant: Tenant, placement: Placement, domain: str
) -> Team | Partner | None:
    """The one team or partner covering ``domain`` where the request is.

    The most specific coverage wins (buurt, then wijk, then the whole municipality); without
    a buurt, the tenant-wide default for the domain (coverage with no area).
    """
    if placement.buurt_code:
        codes = [c for c in (placement.buurt_code, placement.wijk_code, tenant.gemeentecode) if c]
        condition = Coverage.area_code.in_(codes)
    else:
        condition = or_(Coverage.area_code.is_(None), Coverage.area_code == tenant.gemeentecode)
    rows = db.session.scalars(
        select(Coverage).where(
            Coverage.tenant_id == tenant.id, Coverage.domain == domain, condition
        )
    ).all()
    if not rows:
        return None
    specificity = {placement.buurt_code: 0, placement.wijk_code: 1, tenant.gemeentecode: 2, None: 3}
    best = min(rows, key=lambda row: (specificity.get(row.area_code, 4), row.id))
    return best.team or best.partner


def owner_team(tenant: Tenant, placement: Placement) -> Team:
    """The owning team: the wijkteam covering the buurt, else central intake."""
    if placement.buurt_code:
        found = responsible(tenant, placement, OWNER_DOMAIN)
        if isinstance(found, Team):
            return found
    return central_intake_team(tenant)
