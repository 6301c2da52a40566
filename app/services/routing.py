"""Where a request is, and who owns it: the one place that decides ownership.

``geo`` answers point → buurt; this module adds the tenant's map and coverage from the
database. Unknown address, no fixed address, outside every area: the central intake team
owns the request (DESIGN.md invariant 2).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import cast

import shapely.geometry
from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select

from app.extensions import db
from app.models import Area, Coverage, GeocodeCache, Partner, PostcodePoint, Team, Tenant
from geo import Area as GeoArea
from geo import AreaIndex, InvalidPostcode, format_postcode, normalize_postcode
from geo.geocoding import Geocoder, GeocoderUnavailable, cache_key
from referral_rules.vocabulary import OWNER_DOMAIN


@dataclass(frozen=True)
class Placement:
    """Where a request is. ``problem`` says why there is no buurt, when there is none."""

    lon: float | None = None
    lat: float | None = None
    precision: str | None = None  # pc6, pc4 (approximate), geocoded, point
    buurt_code: str | None = None
    wijk_code: str | None = None
    map_year: int | None = None
    # no_fixed_address, unknown_postcode, unknown_address, geocoder_down, outside_area,
    # pc4_ambiguous
    problem: str | None = None


log = logging.getLogger("wijkloket.routing")

@dataclass(frozen=True)
class TenantMap:
    """The tenant's latest map year and its buurt index."""

    year: int
    index: AreaIndex


_index_lock = threading.Lock()
_index_cache: dict[int, tuple[tuple[int, int], TenantMap]] = {}


def area_index(tenant: Tenant) -> AreaIndex | None:
    """The tenant's buurt index on its latest map; None without a map."""
    found = tenant_map(tenant)
    return found.index if found is not None else None


def tenant_map(tenant: Tenant) -> TenantMap | None:
    """The tenant's latest map, rebuilt when its areas change; None without a map."""
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
    year = int(db.session.scalar(select(func.max(Area.year)).where(
        Area.tenant_id == tenant.id, Area.kind == "buurt")) or 0)
    rows = db.session.scalars(
        select(Area).where(Area.tenant_id == tenant.id, Area.kind == "buurt", Area.year == year)
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
    built = TenantMap(year=year, index=index)
    with _index_lock:
        _index_cache[tenant.id] = (stamp, built)
    return built


def place(
    tenant: Tenant,
    postcode: str | None,
    house_number: str | None,
    no_fixed_address: bool,
    *,
    address: str | None = None,
) -> Placement:
    """Postcode + house number (or a free-text address) → point → buurt. Never raises.

    The point comes from the PC6 table, else the configured geocoder, else the PC4 centroid
    (approximate). A PC4 area that spans more than one team is not guessed.
    """
    if no_fixed_address:
        return Placement(problem="no_fixed_address")
    if not postcode and address:
        return _place_address(tenant, address)
    if not postcode:
        return Placement(problem="no_fixed_address")
    try:
        pc6 = normalize_postcode(postcode)
    except InvalidPostcode:
        return Placement(problem="unknown_postcode")
    found: tuple[float, float, str] | None = None
    geocoder_failed = False
    point = db.session.get(PostcodePoint, pc6)
    if point is not None:
        found = (point.lon, point.lat, point.precision)
    else:
        try:
            geocoded = geocode(f"{format_postcode(pc6)} {house_number or ''}".strip())
        except GeocoderUnavailable:
            geocoded, geocoder_failed = None, True
        if geocoded is not None:
            found = (geocoded[0], geocoded[1], "geocoded")
        else:
            pc4 = db.session.get(PostcodePoint, pc6[:4])
            if pc4 is not None:
                found = (pc4.lon, pc4.lat, "pc4")
    if found is None:
        return Placement(problem="geocoder_down" if geocoder_failed else "unknown_postcode")
    lon, lat, precision = found
    return place_point(tenant, lon, lat, precision)


def _place_address(tenant: Tenant, address: str) -> Placement:
    """A free-text address, through the geocoder (when one is configured)."""
    try:
        found = geocode(address)
    except GeocoderUnavailable:
        return Placement(problem="geocoder_down")
    if found is None:
        return Placement(problem="unknown_address")
    return place_point(tenant, found[0], found[1], "geocoded")


def place_point(tenant: Tenant, lon: float, lat: float, precision: str = "point") -> Placement:
    """A point → its buurt on the tenant's latest map (snapped within the set distance)."""
    current = tenant_map(tenant)
    location = current.index.locate(lon, lat) if current is not None else None
    if current is None or location is None:
        return Placement(lon=lon, lat=lat, precision=precision, problem="outside_area")
    if precision == "pc4" and _spans_teams(tenant, current.index, lon, lat):
        return Placement(lon=lon, lat=lat, precision=precision, map_year=current.year,
                         problem="pc4_ambiguous")
    return Placement(lon=lon, lat=lat, precision=precision, buurt_code=location.buurt_code,
                     wijk_code=location.wijk_code, map_year=current.year)


def _spans_teams(tenant: Tenant, index: AreaIndex, lon: float, lat: float) -> bool:
    """Does the PC4 area around this centroid hold buurten of more than one owning team?"""
    radius = current_app.config["GEO_PC4_RADIUS_M"]
    owners = set()
    for near in index.buurten_within(lon, lat, radius):
        found = responsible(tenant, Placement(buurt_code=near.buurt_code,
                                              wijk_code=near.wijk_code), OWNER_DOMAIN)
        owners.add((type(found).__name__, found.id) if found is not None else None)
    return len(owners) > 1


def geocoder() -> Geocoder | None:
    """The configured external geocoder (one per process, so its rate limit holds), or None.

    Raises GeocoderUnavailable when the configured service cannot be used.
    """
    config = current_app.config
    if not config["GEOCODER"]:
        return None
    key = (config["GEOCODER"], config["GEOCODER_DOMAIN"], config["GEOCODER_SCHEME"])
    cached = current_app.extensions.get("wijkloket.geocoder")
    if cached is None or cached[0] != key:
        try:
            service = Geocoder(
                config["GEOCODER"],
                domain=config["GEOCODER_DOMAIN"],
                scheme=config["GEOCODER_SCHEME"],
                timeout=config["GEOCODER_TIMEOUT"],
                min_delay_seconds=config["GEOCODER_MIN_DELAY_SECONDS"],
                user_agent=config["GEOCODER_USER_AGENT"],
            )
        except ValueError as exc:  # a misconfigured service name must not lose requests
            log.error("geocoder not usable: %s", exc)
            raise GeocoderUnavailable(str(exc)) from exc
        cached = (key, service)
        current_app.extensions["wijkloket.geocoder"] = cached
    return cast(Geocoder, cached[1])


def geocode(query: str) -> tuple[float, float] | None:
    """(lon, lat) for an address, from the cache or the geocoder; None if nobody knows it.

    Raises GeocoderUnavailable when the geocoder fails (nothing is cached then).
    """
    service = geocoder()
    if service is None:
        return None
    key = cache_key(f"{query}, Nederland")
    hit = db.session.get(GeocodeCache, key)
    if hit is not None:
        return (hit.lon, hit.lat) if hit.lon is not None and hit.lat is not None else None
    answer = service.geocode(f"{query}, Nederland")
    db.session.merge(GeocodeCache(
        query_key=key, service=service.service,
        lon=answer.lon if answer else None, lat=answer.lat if answer else None,
        label=answer.label[:300] if answer else None,
    ))
    db.session.flush()
    return (answer.lon, answer.lat) if answer else None


def municipality_of(lon: float, lat: float, *, besides: Tenant) -> Tenant | None:
    """The other tenant whose municipality (latest map) holds this point, if we know one."""
    latest = (
        select(Area.tenant_id, func.max(Area.year).label("year"))
        .where(Area.kind == "gemeente", Area.tenant_id != besides.id)
        .group_by(Area.tenant_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Area).join(latest, (Area.tenant_id == latest.c.tenant_id)
                          & (Area.year == latest.c.year)).where(Area.kind == "gemeente")
    ).all()
    point = shapely.geometry.Point(lon, lat)
    for row in rows:
        if shapely.geometry.shape(row.geometry).covers(point):
            return db.session.get(Tenant, row.tenant_id)
    return None


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
    condition: ColumnElement[bool]
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
