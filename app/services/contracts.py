"""Contracts: which partner may receive new referrals, for what, where and until when.

The rules route a request to a domain; the coverage names who is responsible for it there;
the contracts decide whether that partner may take it today. A partner without a live
contract for the domain and place receives no new referral: the next partner with one does
(:func:`contracted`), and when nobody has one, the owning team gets a task (the caller adds
it), never nobody. The choice itself is plain logic in :mod:`geo.contracts`.

Contracts come from the tenant file (``contracts:``, loaded by ``app.services.tenants``) and
from the workspace (``/beleid/contracts``); both save through :func:`save`, which checks
them the same way and audits every change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import ColumnElement, func, select

from app.extensions import db
from app.i18n import _
from app.models import Area, AuditEvent, Contract, Coverage, Partner, Referral, Tenant, User
from app.services import audit
from app.services.errors import InvalidInput, NotFound
from geo.contracts import (
    ContractGap,
    ContractTerm,
    candidates,
    choose,
    contract_gaps,
    overlapping,
)
from referral_rules.vocabulary import DOMAINS, FUNDING, OWNER_DOMAIN, PRODUCT_DOMAINS, PRODUCTS

#: The domains a contract can cover: every domain but the owning team's own.
CONTRACT_DOMAINS = tuple(domain for domain in DOMAINS if domain != OWNER_DOMAIN)
KEY_MAX = 64
LOT_MAX = 120


@dataclass(frozen=True)
class ContractData:
    """A contract as a form or a tenant file gives it."""

    key: str
    partner_id: int
    product: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    domains: tuple[str, ...] = ()  # none: the product's domains
    areas: tuple[str, ...] = ()  # none: the whole municipality
    lot: str | None = None
    funding: str = "inkoop"
    volume: int | None = None

    @property
    def chosen_domains(self) -> tuple[str, ...]:
        return self.domains or PRODUCT_DOMAINS.get(self.product, ())


def term(row: Contract) -> ContractTerm:
    return ContractTerm(key=row.key, partner=str(row.partner_id), product=row.product,
                        domains=tuple(row.domains), areas=tuple(row.areas or ()),
                        starts_on=row.starts_on, ends_on=row.ends_on,
                        accepting=row.accepting, accepts_again_on=row.accepts_again_on)


def contracts_of(tenant_id: int) -> list[Contract]:
    """The tenant's contracts, the running and the ended, by partner and start."""
    return list(db.session.scalars(
        select(Contract).join(Partner, Partner.id == Contract.partner_id)
        .where(Contract.tenant_id == tenant_id)
        .order_by(Partner.name, Contract.starts_on, Contract.key)))


def place_codes(tenant: Tenant, buurt_code: str | None,
                wijk_code: str | None) -> tuple[str | None, str | None, str | None]:
    """A place as :mod:`geo.contracts` reads it: (buurt, wijk, gemeente); without a buurt,
    only the municipality is known."""
    if not buurt_code:
        return (None, None, tenant.gemeentecode)
    return (buurt_code, wijk_code, tenant.gemeentecode)


def _best(rows: Iterable[Contract], domain: str, codes: Sequence[str | None], day: dt.date,
          preferred: Partner | None = None) -> Contract | None:
    """The first of :func:`geo.contracts.candidates` among ``rows``, as a row."""
    by_key = {row.key: row for row in rows}
    found = candidates([term(row) for row in by_key.values()], domain, codes, day,
                       preferred=str(preferred.id) if preferred is not None else None)
    return by_key[found[0].key] if found else None


@dataclass(frozen=True)
class ContractChoice:
    """Where a new referral goes: the contract (and its partner) and whether it is held
    because no contracted partner has room (:func:`geo.contracts.choose`)."""

    contract: Contract
    held: bool

    @property
    def partner(self) -> Partner:
        return self.contract.partner


def contracted(tenant: Tenant, codes: Sequence[str | None], domain: str,
               preferred: Partner | None, day: dt.date,
               rows: Iterable[Contract] | None = None) -> ContractChoice | None:
    """The contract to refer ``domain`` to at the place on ``day``: the ``preferred``
    partner's (the coverage's) while it runs and has room, else the next partner's with a
    live contract and room there, else held at the one with room soonest; None when nobody
    has a live contract."""
    by_key = {row.key: row for row in (contracts_of(tenant.id) if rows is None else rows)}
    choice = choose([term(row) for row in by_key.values()], domain, codes, day,
                    preferred=str(preferred.id) if preferred is not None else None)
    if choice.contract is None:
        return None
    return ContractChoice(by_key[choice.contract.key], choice.held)


def contract_for(partner: Partner, codes: Sequence[str | None], domain: str,
                 day: dt.date) -> Contract | None:
    """The partner's live contract for ``domain`` at the place on ``day``, if it has one."""
    return _best(db.session.scalars(select(Contract).where(
        Contract.tenant_id == partner.tenant_id, Contract.partner_id == partner.id)),
        domain, codes, day)


def no_contract_reason(domain_label: str, day: dt.date) -> str:
    """The owning team's task when no partner has a contract (in the caller's locale)."""
    return _("No organisation has a contract for %(domain)s here on %(day)s, so the question "
             "was not referred. Find help for the resident another way, or tell the "
             "municipality.", domain=domain_label, day=format_date(day, "long"))


def held_reason(contract: Contract, day: dt.date) -> str:
    """The owning team's task when no contracted partner has room (in the caller's locale)."""
    expected = term(contract).room_expected_on(day)
    if expected is None:
        return _("No organisation with a contract has room now. The referral waits for "
                 "%(partner)s, which has not said when it has room again. Look for help in "
                 "another way if the resident cannot wait.", partner=contract.partner.name)
    return _("No organisation with a contract has room now. The referral waits for "
             "%(partner)s, which expects to have room from %(day)s. Look for help in another "
             "way if the resident cannot wait.", partner=contract.partner.name,
             day=format_date(expected, "long"))


# --- Checking and saving ---------------------------------------------------------------------

def known_areas(tenant: Tenant) -> dict[str, str | None]:
    """Every area code of the tenant's latest map → its parent (a wijk's gemeente)."""
    year = db.session.scalar(select(func.max(Area.year)).where(Area.tenant_id == tenant.id))
    parents: dict[str, str | None] = {tenant.gemeentecode: None}
    if year is None:
        return parents
    for code, parent in db.session.execute(select(Area.code, Area.parent_code).where(
            Area.tenant_id == tenant.id, Area.year == year)):
        parents[code] = parent or (None if code == tenant.gemeentecode else tenant.gemeentecode)
    return parents


def problems(tenant: Tenant, data: ContractData, *, existing: Contract | None = None,
             others: Iterable[Contract] | None = None) -> list[tuple[str, str]]:
    """What is wrong with ``data``, as (field, message) pairs; empty when it can be saved."""
    found: list[tuple[str, str]] = []
    key = data.key.strip()
    if not key or len(key) > KEY_MAX:
        found.append(("key", _("Give the contract a short name (at most %(max)d characters).",
                               max=KEY_MAX)))
    partner = db.session.get(Partner, data.partner_id)
    if partner is None or partner.tenant_id != tenant.id:
        found.append(("partner_id", _("Choose an organisation.")))
    elif existing is not None and existing.partner_id != data.partner_id:
        found.append(("partner_id", _("A contract stays with its organisation. End it, and "
                                      "make a new contract for the other organisation.")))
    if data.product not in PRODUCTS:
        found.append(("product", _("Choose what the contract is for.")))
    if data.funding not in FUNDING:
        found.append(("funding", _("Choose how the contract is paid.")))
    domains = data.chosen_domains
    if not domains or any(domain not in CONTRACT_DOMAINS for domain in domains):
        found.append(("domains", _("Choose at least one domain.")))
    parents = known_areas(tenant)
    unknown = [code for code in data.areas if code not in parents]
    if unknown:
        found.append(("areas", _("These areas are not on the municipality's map: %(codes)s.",
                                 codes=", ".join(unknown))))
    if data.ends_on is not None and data.ends_on < data.starts_on:
        found.append(("ends_on", _("The last day is before the first day.")))
    if data.volume is not None and data.volume < 1:
        found.append(("volume", _("The volume is a whole number of at least 1, or empty.")))
    if data.lot is not None and len(data.lot) > LOT_MAX:
        found.append(("lot", _("Use at most %(max)d characters.", max=LOT_MAX)))
    if found:
        return found
    rows = list(others) if others is not None else contracts_of(tenant.id)
    rows = [row for row in rows if existing is None or row.id != existing.id]
    if any(row.key == key for row in rows):
        found.append(("key", _("Another contract already has this name.")))
    new = ContractTerm(key=key, partner=str(data.partner_id), product=data.product,
                       domains=domains, areas=data.areas, starts_on=data.starts_on,
                       ends_on=data.ends_on)
    clashes = overlapping(new, [term(row) for row in rows],
                          {code: parent for code, parent in parents.items() if parent})
    for clash in clashes:
        found.append(("starts_on", _(
            "This overlaps the contract %(key)s of the same organisation for the same "
            "product, in the same area, from %(start)s. End that contract first, or change "
            "the dates or the areas.", key=clash.key, start=format_date(clash.starts_on))))
    return found


_FIELDS = ("key", "partner_id", "product", "lot", "funding", "domains", "areas", "starts_on",
           "ends_on", "volume")


def save(tenant: Tenant, data: ContractData, *, contract: Contract | None = None,
         actor: User | None = None, actor_label: str | None = None) -> Contract:
    """Create or change a contract, after :func:`problems`; audited with what changed.

    Raises InvalidInput for the first problem (the caller shows them all with
    :func:`problems` first, when it can). The caller commits.
    """
    found = problems(tenant, data, existing=contract)
    if found:
        raise InvalidInput(found[0][1], found[0][0])
    values: dict[str, object] = {
        "key": data.key.strip(), "partner_id": data.partner_id, "product": data.product,
        "lot": (data.lot or "").strip()[:LOT_MAX] or None, "funding": data.funding,
        "domains": list(data.chosen_domains), "areas": list(data.areas),
        "starts_on": data.starts_on, "ends_on": data.ends_on, "volume": data.volume}
    if contract is None:
        contract = Contract(tenant_id=tenant.id, **values)
        db.session.add(contract)
        changes: dict[str, object] = {name: _plain(value) for name, value in values.items()}
    else:
        changes = dict(apply_changes(contract, values))
        if not changes:
            return contract
    created = contract.id is None
    db.session.flush()
    audit.record("contract.created" if created else "contract.changed", tenant_id=tenant.id,
                 object_type="contract", object_id=contract.id, actor=actor,
                 actor_label=actor_label, changes=changes)
    return contract


def change(tenant: Tenant, data: ContractData, *, contract: Contract | None,
           actor: User) -> Contract:
    """A contract made or changed in the workspace by ``actor``: :func:`save`, committed."""
    saved = save(tenant, data, contract=contract, actor=actor)
    db.session.commit()
    return saved


def apply_changes(contract: Contract, values: Mapping[str, object]) -> dict[str, list[object]]:
    """Set ``values`` on ``contract``; what changed, as the audit keeps it (name → [before,
    after], dates as ISO text)."""
    changes = {name: [_plain(getattr(contract, name)), _plain(value)]
               for name, value in values.items() if getattr(contract, name) != value}
    for name, value in values.items():
        setattr(contract, name, value)
    return changes


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- What the contracts leave open -----------------------------------------------------------

def gaps(tenant: Tenant, on: dt.date) -> list[ContractGap]:
    """Where the coverage gives a domain to a partner but no partner has a live contract, on
    ``on`` or from the first day after a contract ends (``geo coverage``, ``tenant load``)."""
    buurten = db.session.execute(select(Area.code, Area.parent_code).where(
        Area.tenant_id == tenant.id, Area.kind == "buurt",
        Area.year == select(func.max(Area.year)).where(Area.tenant_id == tenant.id)
        .scalar_subquery())).all()
    coverage = db.session.scalars(select(Coverage).where(Coverage.tenant_id == tenant.id)).all()
    by_area: dict[tuple[str | None, str], Coverage] = {}
    for row in coverage:
        by_area.setdefault((row.area_code, row.domain), row)
    needs: list[tuple[str | None, tuple[str | None, ...], str]] = []
    places: list[tuple[str | None, tuple[str | None, ...]]] = [
        (code, (code, parent, tenant.gemeentecode)) for code, parent in buurten]
    places.append((None, (None, None, tenant.gemeentecode)))
    for place, codes in places:
        for domain in CONTRACT_DOMAINS:
            lookup = [c for c in codes if c] if place is not None else [tenant.gemeentecode, None]
            covering = next((by_area[(code, domain)] for code in lookup
                             if (code, domain) in by_area), None)
            if covering is not None and covering.partner_id is not None:
                needs.append((place, codes, domain))
    return contract_gaps(needs, [term(row) for row in contracts_of(tenant.id)], on)


def grouped_gaps(found: Sequence[ContractGap]
                 ) -> dict[tuple[dt.date, str], list[str | None]]:
    """The gaps per (first day, domain), with their places in order (None: no known buurt)."""
    grouped: dict[tuple[dt.date, str], list[str | None]] = {}
    for gap in found:
        grouped.setdefault((gap.day, gap.domain), []).append(gap.place)
    return grouped


def describe_gaps(found: Sequence[ContractGap], limit: int = 20) -> str:
    """The gaps for a terminal, grouped per day and domain (English, like the CLI)."""
    grouped = grouped_gaps(found)
    lines = []
    for (day, domain), found_places in list(grouped.items())[:limit]:
        places = [place or "(no known buurt)" for place in found_places]
        shown = ", ".join(places[:8]) + (f" and {len(places) - 8} more" if len(places) > 8 else "")
        lines.append(f"  no contract from {day.isoformat()}: {domain} in {shown}")
    if len(grouped) > limit:
        lines.append(f"  … {len(grouped) - limit} more")
    return "\n".join(lines)



# --- For the workspace's pages ---------------------------------------------------------------

#: A contract's state on a day, as the workspace shows it: ``ending`` runs but ends within
#: :data:`ENDING_DAYS` days.
ENDING_DAYS = 90
CONTRACT_STATES = ("planned", "running", "ending", "ended")


def state_on(contract: Contract, day: dt.date) -> str:
    """``planned``, ``running``, ``ending`` or ``ended`` on ``day``."""
    if day < contract.starts_on:
        return "planned"
    if contract.ends_on is not None and contract.ends_on < day:
        return "ended"
    if contract.ends_on is not None and (contract.ends_on - day).days < ENDING_DAYS:
        return "ending"
    return "running"


def get(tenant_id: int, contract_id: int) -> Contract:
    """The tenant's contract; NotFound for another tenant's or an unknown id."""
    contract = db.session.get(Contract, contract_id)
    if contract is None or contract.tenant_id != tenant_id:
        raise NotFound(_("This contract does not exist."))
    return contract


def history(contract: Contract, limit: int = 50) -> list[AuditEvent]:
    """The newest audit events about the contract: who made or changed what, when."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.tenant_id == contract.tenant_id,
                                 AuditEvent.object_type == "contract",
                                 AuditEvent.object_id == contract.id)
        .order_by(AuditEvent.id.desc()).limit(limit)))


def area_choices(tenant: Tenant) -> list[tuple[str, str]]:
    """The wijken of the latest map, each followed by its buurten: (code, name)."""
    year = db.session.scalar(select(func.max(Area.year)).where(Area.tenant_id == tenant.id))
    rows = db.session.execute(select(Area.code, Area.name, Area.kind, Area.parent_code).where(
        Area.tenant_id == tenant.id, Area.year == year, Area.kind.in_(("wijk", "buurt")))
        .order_by(Area.code)).all() if year is not None else []
    buurten: dict[str | None, list[tuple[str, str]]] = {}
    for code, name, kind, parent in rows:
        if kind == "buurt":
            buurten.setdefault(parent, []).append((code, name))
    found: list[tuple[str, str]] = []
    for code, name, kind, _parent in rows:
        if kind == "wijk":
            found.append((code, name))
            found.extend(buurten.get(code, []))
    return found


def referral_counts(tenant_id: int) -> dict[int, int]:
    """Per contract, how many referrals were made under it (against its volume)."""
    return _per_contract(tenant_id)


def held_counts(tenant_id: int) -> dict[int, int]:
    """Per contract, how many referrals wait for room there (app/services/capacity.py)."""
    return _per_contract(tenant_id, Referral.held_since.is_not(None),
                         Referral.state == "proposed")


def _per_contract(tenant_id: int, *conditions: ColumnElement[bool]) -> dict[int, int]:
    rows = db.session.execute(
        select(Referral.contract_id, func.count(Referral.id))
        .where(Referral.tenant_id == tenant_id, Referral.contract_id.is_not(None), *conditions)
        .group_by(Referral.contract_id)).all()
    return {contract_id: count for contract_id, count in rows if contract_id is not None}


def partner_names(tenant_id: int) -> dict[int, str]:
    """The tenant's partner organisations, id → name, by name."""
    return dict(db.session.execute(select(Partner.id, Partner.name).where(
        Partner.tenant_id == tenant_id).order_by(Partner.name)).all())

