"""Regions: municipalities that buy some lots together, and the partners that work for all.

A tenant file may name the region its municipality belongs to (``region: {key, name}``) and
mark a partner ``regional: true``. A regional partner is the same organisation (the same
key) in every member municipality of the region: each member keeps its own partner row, its
own contracts with it and all of its own data. Its people work from one portal: they receive
the referrals made to the organisation's row in any member municipality, each shown under
the referring municipality's name, and nothing else of another municipality.

:func:`partner_ids` is the one place that decides which partner rows a partner's user or API
token acts for; ``app.services.referrals.receives`` asks it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select

from app.extensions import db
from app.models import Partner, Region, Tenant


class PartnerActor(Protocol):
    """A partner's user or API token (``app.api.partner_api.ApiActor``)."""

    @property
    def tenant_id(self) -> int: ...

    @property
    def partner_id(self) -> int | None: ...


def partner_ids(actor: PartnerActor) -> frozenset[int]:
    """The partner rows whose referrals ``actor`` receives: its own and, for a regional
    partner, the same organisation's rows in the other municipalities of its region."""
    if actor.partner_id is None:
        return frozenset()
    row = db.session.execute(
        select(Partner.key, Partner.regional, Tenant.region_id)
        .join(Tenant, Tenant.id == Partner.tenant_id)
        .where(Partner.id == actor.partner_id)).first()
    if row is None:
        return frozenset()
    key, regional, region_id = row
    if not regional or region_id is None:
        return frozenset({actor.partner_id})
    return frozenset(db.session.scalars(
        select(Partner.id).join(Tenant, Tenant.id == Partner.tenant_id)
        .where(Tenant.region_id == region_id, Partner.key == key,
               Partner.regional.is_(True))))


def is_regional(actor: PartnerActor) -> bool:
    """Does ``actor`` work for more than one municipality?"""
    return len(partner_ids(actor)) > 1


def municipality_names(actor: PartnerActor) -> dict[int, str]:
    """tenant id → name of every municipality ``actor`` receives referrals from."""
    return dict(db.session.execute(
        select(Tenant.id, Tenant.name).join(Partner, Partner.tenant_id == Tenant.id)
        .where(Partner.id.in_(partner_ids(actor)))).all())


def upsert_region(key: str, name: str) -> Region:
    """The region named ``key``, made or renamed. The caller commits."""
    region = db.session.scalar(select(Region).where(Region.key == key))
    if region is None:
        region = Region(key=key, name=name)
        db.session.add(region)
    region.name = name
    db.session.flush()
    return region


def members(region_id: int) -> list[Tenant]:
    """The region's municipalities, by name."""
    return list(db.session.scalars(select(Tenant).where(Tenant.region_id == region_id)
                                   .order_by(Tenant.name)))


__all__ = ["is_regional", "members", "municipality_names", "partner_ids", "upsert_region"]
