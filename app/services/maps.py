"""What the staff map shows: the tenant's buurten coloured by owning team, and the open
requests of the viewer's own team (never another team's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.lifecycle import REQUEST_CLOSED
from app.models import Area, SupportRequest, Team, Tenant
from app.services.routing import Placement, responsible
from referral_rules.vocabulary import OWNER_DOMAIN

# Colour-blind-safe palette (Okabe–Ito), cycled per team; the legend names each team too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")


def team_colours(tenant: Tenant) -> dict[int, str]:
    teams = db.session.scalars(select(Team).where(Team.tenant_id == tenant.id).order_by(Team.id))
    return {team.id: PALETTE[i % len(PALETTE)] for i, team in enumerate(teams)}


def buurten_by_team(tenant: Tenant) -> list[dict[str, Any]]:
    """GeoJSON features of the latest map's buurten with their owning wijkteam."""
    latest = select(func.max(Area.year)).where(
        Area.tenant_id == tenant.id, Area.kind == "buurt").scalar_subquery()
    rows = db.session.scalars(
        select(Area).where(Area.tenant_id == tenant.id, Area.kind == "buurt",
                           Area.year == latest).order_by(Area.code)
    ).all()
    colours = team_colours(tenant)
    features = []
    for row in rows:
        owner = responsible(tenant, Placement(buurt_code=row.code, wijk_code=row.parent_code),
                            OWNER_DOMAIN)
        team = owner if isinstance(owner, Team) else None
        features.append({
            "type": "Feature",
            "geometry": row.geometry,
            "properties": {
                "code": row.code, "name": row.name, "wijk": row.parent_code,
                "team": team.name if team else None,
                "colour": colours.get(team.id, "#767676") if team else "#767676",
            },
        })
    return features


def open_requests_of(team_id: int, tenant: Tenant) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(SupportRequest).where(
            SupportRequest.tenant_id == tenant.id, SupportRequest.owner_team_id == team_id,
            SupportRequest.status != REQUEST_CLOSED, SupportRequest.lon.is_not(None),
        ).order_by(SupportRequest.id.desc()).limit(2000)
    ).all()
    return [{"reference": row.reference, "lon": row.lon, "lat": row.lat,
             "priority": row.priority, "approximate": row.location_precision == "pc4"}
            for row in rows]
