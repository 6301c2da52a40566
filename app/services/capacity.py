"""Capacity: a partner's service takes new referrals or not, and how long its waiting list is.

A partner keeps it per contract (its "service" for a product), in the portal or through the
API: accepting or not, from which day it accepts again (when it knows), and the waiting time it
publishes for new clients. Routing (:func:`app.services.contracts.contracted`) sends a new
referral to the best contracted partner with room; when nobody has room the referral is
*held*: it stays ``proposed`` (shared with nobody), the owning team gets a task that says why,
and the resident's status page says they wait and roughly how long.

A held referral is released (:func:`release_held`) as soon as a contracted partner has room
again: when a partner marks its service accepting, and every day by the worker (a service
full until a given day has room from that day on). It goes to whoever has room first, and
gets a fresh answer term from the day it is sent. When no live contract is left at all, it is
withdrawn and the owning team gets a task: never nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import or_, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale, ngettext
from app.lifecycle import TASK_OPEN
from app.models import Contract, Referral, SupportRequest, Task, Tenant, utcnow
from app.services import audit, contracts, referrals, regions, tasks
from app.services.calendars import calendar_for
from app.services.errors import InvalidInput, NotFound
from app.services.tasks import add_task
from app.vocabulary import DOMAIN_LABELS, label

#: The longest waiting time a partner can publish, in weeks (two years).
WAITING_WEEKS_MAX = 104


@dataclass(frozen=True)
class CapacityData:
    """Capacity as the portal's form or the API gives it."""

    accepting: bool
    accepts_again_on: dt.date | None = None
    waiting_weeks: int | None = None


def services_of(actor: regions.PartnerActor, today: dt.date | None = None) -> list[Contract]:
    """The partner's contracts that run today or start later: its services."""
    today = today or local_today()
    return list(db.session.scalars(
        select(Contract).where(Contract.tenant_id == actor.tenant_id,
                               Contract.partner_id == actor.partner_id,
                               or_(Contract.ends_on.is_(None), Contract.ends_on >= today))
        .order_by(Contract.starts_on, Contract.key)))


def own_service(actor: regions.PartnerActor, key: str) -> Contract:
    """The partner's own contract named ``key``; NotFound for anyone else's."""
    contract = db.session.scalar(select(Contract).where(
        Contract.tenant_id == actor.tenant_id, Contract.key == key))
    if contract is None or actor.partner_id is None or contract.partner_id != actor.partner_id:
        raise NotFound(_("This service does not exist or is not yours."))
    return contract


def problems(data: CapacityData, today: dt.date) -> list[tuple[str, str]]:
    """What is wrong with ``data``, as (field, message) pairs."""
    found: list[tuple[str, str]] = []
    if (not data.accepting and data.accepts_again_on is not None
            and data.accepts_again_on <= today):
        found.append(("accepts_again_on", _(
            "Give a day after today, or leave it empty if you do not know it yet.")))
    if data.waiting_weeks is not None and not 0 <= data.waiting_weeks <= WAITING_WEEKS_MAX:
        found.append(("waiting_weeks", _(
            "The waiting time is a whole number of weeks from 0 to %(max)d, or empty.",
            max=WAITING_WEEKS_MAX)))
    return found


def has_room(contract: Contract, day: dt.date) -> bool:
    return contracts.term(contract).has_room_on(day)


def set_capacity(actor: regions.PartnerActor, key: str, data: CapacityData,
                 today: dt.date | None = None) -> Contract:
    """The partner changes its service's capacity; audited, and held referrals that can go
    now are released. Raises InvalidInput for the first problem; commits."""
    today = today or local_today()
    contract = own_service(actor, key)
    found = problems(data, today)
    if found:
        raise InvalidInput(found[0][1], found[0][0])
    changes = contracts.apply_changes(contract, {
        "accepting": data.accepting,
        "accepts_again_on": None if data.accepting else data.accepts_again_on,
        "waiting_weeks": data.waiting_weeks})
    if changes:
        contract.capacity_changed_at = utcnow()
        audit.record("contract.capacity_changed", tenant_id=contract.tenant_id,
                     object_type="contract", object_id=contract.id,
                     actor=actor,  # type: ignore[arg-type]  # a user or an API token
                     changes=changes)
    if has_room(contract, today):
        release_held(contract.tenant_id, today)
    db.session.commit()
    return contract


# --- Held referrals --------------------------------------------------------------------------

def held_referrals(tenant_id: int | None = None) -> list[Referral]:
    """The held referrals (of one tenant, or all), the longest waiting first."""
    query = select(Referral).where(Referral.held_since.is_not(None),
                                   Referral.state == "proposed")
    if tenant_id is not None:
        query = query.where(Referral.tenant_id == tenant_id)
    return list(db.session.scalars(query.order_by(Referral.held_since, Referral.id)))


def release_held(tenant_id: int | None, today: dt.date | None = None) -> int:
    """Release every held referral that can go now; returns how many went (or, without any
    live contract left, were withdrawn). The caller commits."""
    today = today or local_today()
    released = 0
    rows_of: dict[int, list[Contract]] = {}
    for referral in held_referrals(tenant_id):
        rows = rows_of.setdefault(referral.tenant_id, contracts.contracts_of(referral.tenant_id))
        released += _release(referral, today, rows)
    return released


def release_due(today: dt.date | None = None) -> int:
    """The worker's daily step: release what can go, one commit per tenant."""
    today = today or local_today()
    released = 0
    for tenant_id in db.session.scalars(select(Referral.tenant_id).where(
            Referral.held_since.is_not(None), Referral.state == "proposed").distinct()):
        released += release_held(tenant_id, today)
        db.session.commit()
    return released


def _held_tasks(referral: Referral) -> Iterable[Task]:
    return (task for task in referral.request.tasks
            if task.referral_id == referral.id and task.kind == "referral_held"
            and task.state == TASK_OPEN)


def _release(referral: Referral, today: dt.date, rows: list[Contract]) -> bool:
    tenant = db.session.get(Tenant, referral.tenant_id)
    assert tenant is not None
    request: SupportRequest = referral.request
    codes = contracts.place_codes(tenant, request.buurt_code, request.wijk_code)
    placement = contracts.contracted(tenant, codes, referral.domain, referral.target_partner,
                                     today, rows)
    if placement is None:
        with force_locale("nl"):
            reason = contracts.no_contract_reason(label(DOMAIN_LABELS, referral.domain), today)
        referrals.withdraw_unplaced(referral, reason)
        add_task(request, request.owner_team_id, "no_contract", reason, referral)
        _close_held_tasks(referral)
        return True
    if placement.held:
        current = referral.contract
        if current is None or not contracts.term(current).live_on(today):
            referral.contract_id = placement.contract.id  # its contract ended: wait elsewhere
            referral.target_partner_id = placement.partner.id
        return False
    calendar = calendar_for(tenant)
    held_since = referral.held_since
    assert held_since is not None
    term_days = calendar.working_days_between(referral.created_at.date(), referral.due_date)
    referral.target_partner_id = placement.partner.id
    referral.contract_id = placement.contract.id
    referral.held_since = None
    referral.due_date = calendar.add_working_days(today, term_days)
    audit.record("referral.released", tenant_id=referral.tenant_id, object_type="referral",
                 object_id=referral.id, actor_label="scheduler",
                 partner=placement.partner.name, contract=placement.contract.key,
                 held_days=(today - held_since.date()).days)
    _close_held_tasks(referral)
    if request.consent_share:
        referrals.send_released(tenant, referral)
    return True


def _close_held_tasks(referral: Referral) -> None:
    for task in list(_held_tasks(referral)):
        tasks.complete(task, None)


# --- What the resident and the team read -----------------------------------------------------

def waiting_text(referral: Referral, today: dt.date | None = None) -> str | None:
    """How long the resident roughly waits, in the current locale; None when not known.

    A held referral waits for room (the day the partner named); a sent or accepted one may
    wait for the partner's published waiting time."""
    contract = referral.contract
    if contract is None:
        return None
    today = today or local_today()
    if referral.held:
        expected = contracts.term(contract).room_expected_on(today)
        if expected is not None and expected > today:
            return _("%(org)s expects to have room from %(day)s.", org=contract.partner.name,
                     day=format_date(expected, "long"))
        if contract.waiting_weeks:
            return _waiting_weeks(contract)
        return _("%(org)s does not know yet when it has room again. The team keeps an eye on "
                 "it.", org=contract.partner.name)
    if referral.state in ("sent", "accepted") and contract.waiting_weeks:
        return _waiting_weeks(contract)
    return None


def _waiting_weeks(contract: Contract) -> str:
    return ngettext("The waiting time at %(org)s is about %(num)d week.",
                    "The waiting time at %(org)s is about %(num)d weeks.",
                    contract.waiting_weeks or 0, org=contract.partner.name)


__all__ = ["CapacityData", "WAITING_WEEKS_MAX", "has_room", "held_referrals", "own_service",
           "problems", "release_due", "release_held", "services_of", "set_capacity",
           "waiting_text"]
