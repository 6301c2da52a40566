"""A contract that ends: a partner's open referrals handed over to a successor (issue 14).

A team lead, a policy advisor or an administrator transfers the open referrals (sent,
accepted, in progress) of one partner, for one product (lot) or for all of them, to a
successor partner that helps from a day ``on``. :func:`plan` says what would happen (the
preview); :func:`start` does it as one audited operation, all or nothing:

* A referral whose resident consented to sharing moves with a warm handover: the successor
  gets a new referral (``transferred_from`` names the old one) under its own contract for that
  place; the old referral stays live and visible to the old partner, who is asked for a
  handover note (:func:`add_handover_note`) until the successor accepts. Then the old one
  ends (``app.services.referrals.accept``): completed as "referred on" when the old partner
  had it, withdrawn when it still waited for an answer. A successor that declines sends the
  new referral back to the owning team as any decline does; the old one stays live.
* Without consent nothing is shared: no new referral, and the owning team gets a task
  (``transfer_consent``). When the resident consents, the team refers the question to the
  successor by hand (the request page; ``referrals.refer_by_hand`` checks the successor's
  contract): that referral takes the held one over like the others (handover note, the old
  one ends on accept) and the task is done.
* The resident is told in their language who helps them from when, by e-mail when they chose
  updates (as every resident notice), and never when the question is about safety at home
  (:func:`contact_safe`): a mail about a new care provider can be read by the wrong person.

Refused, with nothing written: the same partner on both sides, a day in the past, a
successor without a live contract for a referral's domain (and product) at its place on
``on``, nothing to transfer, or a transfer of the same partner and product that is still
running (a new referral waits for the successor's answer, or a resident's consent is still
asked). No Flask request objects here; :func:`start` and :func:`add_handover_note` commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import exists, func, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale, ngettext
from app.lifecycle import LIVE_STATES, TASK_OPEN
from app.limits import NOTE_MAX
from app.messaging.outgoing import notices
from app.models import Contract, ContractTransfer, Partner, Referral, Task, Tenant, User, utcnow
from app.roles import PARTNER
from app.services import audit, contracts, referrals
from app.services.calendars import response_due
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.rulesets import ruleset_for
from app.services.tasks import add_task
from app.vocabulary import DOMAIN_LABELS, label
from referral_rules.vocabulary import PRODUCT_DOMAINS, PRODUCTS

#: The states of a referral a transfer takes over.
OPEN_STATES = ("sent", "accepted", "in_progress")
#: A successor's referral in these states still waits for the successor's answer.
WAITING_STATES = ("proposed", "sent")
#: Life areas of a question about which the resident is not mailed (contact may be unsafe).
UNSAFE_LIFE_AREAS = frozenset({"veiligheid"})


@dataclass(frozen=True)
class Move:
    """An open referral and the successor's contract it would go under."""

    referral: Referral
    contract: Contract


@dataclass(frozen=True)
class Refusal:
    """``count`` referrals for ``domain`` the successor has no live contract for."""

    domain: str
    count: int
    message: str


@dataclass(frozen=True)
class Plan:
    """What a transfer would do: the preview, and what :func:`start` carries out."""

    tenant: Tenant
    from_partner: Partner
    to_partner: Partner
    product: str | None
    on: dt.date
    from_contract: Contract | None
    moves: tuple[Move, ...]  # the resident consented: a new referral to the successor
    held: tuple[Move, ...]  # no consent: a task for the owning team, nothing shared
    left: int  # already being handed over (a successor's referral or a consent task waits)
    refusals: tuple[Refusal, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {"moved": len(self.moves), "needs_consent": len(self.held), "left": self.left}

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def _partner(tenant: Tenant, partner_id: int | None, field: str) -> Partner:
    partner = db.session.get(Partner, partner_id) if partner_id else None
    if partner is None or partner.tenant_id != tenant.id:
        raise InvalidInput(_("Choose an organisation."), field)
    return partner


def _in_scope(referral: Referral, product: str | None) -> bool:
    """Whether the referral belongs to the lot: made under a contract for ``product``, or,
    made before contracts, for one of the product's domains."""
    if product is None:
        return True
    if referral.contract is not None:
        return referral.contract.product == product
    return referral.domain in PRODUCT_DOMAINS.get(product, ())


def _being_handed_over(referral: Referral) -> bool:
    """A successor's referral is live, or the owning team asks the resident's consent."""
    successor = db.session.scalar(select(exists().where(
        Referral.transferred_from_id == referral.id, Referral.state.in_(LIVE_STATES))))
    task = db.session.scalar(select(exists().where(
        Task.referral_id == referral.id, Task.kind == "transfer_consent",
        Task.state == TASK_OPEN)))
    return bool(successor or task)


def is_running(transfer: ContractTransfer) -> bool:
    """Whether the transfer still waits: for a successor's answer or a resident's consent."""
    waiting = db.session.scalar(select(exists().where(
        Referral.transfer_id == transfer.id, Referral.state.in_(WAITING_STATES))))
    held = bool(transfer.held_ids) and db.session.scalar(select(exists().where(
        Task.referral_id.in_(transfer.held_ids), Task.kind == "transfer_consent",
        Task.state == TASK_OPEN)))
    return bool(waiting or held)


def running_transfer(tenant_id: int, partner_id: int,
                     product: str | None) -> ContractTransfer | None:
    """A running transfer of the partner's referrals for ``product`` (or of all lots, which
    includes it; None: any lot)."""
    for transfer in db.session.scalars(select(ContractTransfer).where(
            ContractTransfer.tenant_id == tenant_id,
            ContractTransfer.from_partner_id == partner_id).order_by(ContractTransfer.id)):
        if (product is None or transfer.product is None or transfer.product == product) \
                and is_running(transfer):
            return transfer
    return None


@dataclass(frozen=True)
class Progress:
    """How far a transfer is, in counts only: the successor's referrals it took on
    (``taken_on``: accepted, started or done), still waits to answer (``waiting``), did not
    take (``not_taken``: declined, expired, given back or withdrawn; the owning team has a
    task); and the questions still waiting for the resident's consent (``consent``)."""

    transfer: ContractTransfer
    taken_on: int
    waiting: int
    not_taken: int
    consent: int

    @property
    def running(self) -> bool:
        return bool(self.waiting or self.consent)


_TAKEN_ON = frozenset({"accepted", "in_progress", "completed"})


def progress(tenant_id: int, limit: int = 50) -> list[Progress]:
    """The tenant's newest transfers with their progress, in three queries."""
    rows = list(db.session.scalars(select(ContractTransfer).where(
        ContractTransfer.tenant_id == tenant_id).order_by(
            ContractTransfer.started_at.desc(), ContractTransfer.id.desc()).limit(limit)))
    if not rows:
        return []
    by_state: dict[int, Counter[str]] = {row.id: Counter() for row in rows}
    for transfer_id, state, count in db.session.execute(
            select(Referral.transfer_id, Referral.state, func.count())
            .where(Referral.transfer_id.in_(by_state))
            .group_by(Referral.transfer_id, Referral.state)):
        if transfer_id is not None:
            by_state[transfer_id][state] = count
    held = {held_id for row in rows for held_id in row.held_ids or ()}
    asking = set(db.session.scalars(select(Task.referral_id).where(
        Task.referral_id.in_(held), Task.kind == "transfer_consent",
        Task.state == TASK_OPEN))) if held else set()
    found = []
    for row in rows:
        states = by_state[row.id]
        taken = sum(count for state, count in states.items() if state in _TAKEN_ON)
        waiting = sum(count for state, count in states.items() if state in WAITING_STATES)
        found.append(Progress(transfer=row, taken_on=taken, waiting=waiting,
                              not_taken=sum(states.values()) - taken - waiting,
                              consent=len(asking.intersection(row.held_ids or ()))))
    return found


def _ending_contract(partner: Partner, product: str | None) -> Contract | None:
    """The partner's contract for ``product`` that ends first, from today on (the one
    whose end the transfer is for)."""
    if product is None:
        return None
    today = local_today()
    rows = [row for row in db.session.scalars(select(Contract).where(
        Contract.tenant_id == partner.tenant_id, Contract.partner_id == partner.id,
        Contract.product == product)) if row.ends_on is not None and row.ends_on >= today]
    return min(rows, key=lambda row: row.ends_on or dt.date.max) if rows else None


def plan(tenant: Tenant, from_partner_id: int | None, to_partner_id: int | None,
         product: str | None, on: dt.date | None) -> Plan:
    """What transferring ``from_partner``'s open referrals (for ``product``, None: all lots)
    to ``to_partner`` from ``on`` would do. Reads only.

    Raises InvalidInput (with the field) for an unknown organisation or product, the same
    organisation twice, a day in the past, a transfer that is still running, or nothing to
    transfer. A successor without a contract for some referrals is not raised here: the
    plan's ``refusals`` say it, and :func:`start` refuses it.
    """
    old = _partner(tenant, from_partner_id, "from_partner")
    new = _partner(tenant, to_partner_id, "to_partner")
    if new.id == old.id:
        raise InvalidInput(_("Choose another organisation than the one whose contract "
                             "ends."), "to_partner")
    if product is not None and product not in PRODUCTS:
        raise InvalidInput(_("Choose what the contract is for."), "product")
    if on is None:
        raise InvalidInput(_("Enter the first day the new organisation helps."), "on")
    if on < local_today():
        raise InvalidInput(_("This day has passed. Choose today or a later day."), "on")
    running = running_transfer(tenant.id, old.id, product)
    if running is not None:
        raise InvalidInput(_(
            "A transfer of these referrals of %(partner)s already runs (started on "
            "%(date)s). Wait until the new organisation has answered every referral and "
            "every resident has been asked for consent.", partner=old.name,
            date=format_date(running.started_at.date(), "long")), "from_partner")
    found = [row for row in db.session.scalars(select(Referral).where(
        Referral.tenant_id == tenant.id, Referral.target_partner_id == old.id,
        Referral.state.in_(OPEN_STATES)).order_by(Referral.id)) if _in_scope(row, product)]
    left = [row for row in found if _being_handed_over(row)]
    candidates = [row for row in found if row not in left]
    if not candidates:
        raise InvalidInput(_("%(partner)s has no open referrals to transfer for this.",
                             partner=old.name), "from_partner")
    offered = [row for row in db.session.scalars(select(Contract).where(
        Contract.tenant_id == tenant.id, Contract.partner_id == new.id))
        if product is None or row.product == product]
    moves: list[Move] = []
    held: list[Move] = []
    missing: Counter[str] = Counter()
    for row in candidates:
        request = row.request
        codes = contracts.place_codes(tenant, request.buurt_code, request.wijk_code)
        chosen = contracts._best(offered, row.domain, codes, on)
        if chosen is None:
            missing[row.domain] += 1
        elif request.consent_share:
            moves.append(Move(row, chosen))
        else:
            held.append(Move(row, chosen))
    refusals = tuple(Refusal(domain, count, ngettext(
        "%(partner)s has no running contract for %(domain)s on %(date)s where %(num)d of "
        "these residents lives.",
        "%(partner)s has no running contract for %(domain)s on %(date)s where %(num)d of "
        "these residents live.", count, partner=new.name, domain=label(DOMAIN_LABELS, domain),
        date=format_date(on, "long"))) for domain, count in sorted(missing.items()))
    return Plan(tenant=tenant, from_partner=old, to_partner=new, product=product, on=on,
                from_contract=_ending_contract(old, product), moves=tuple(moves),
                held=tuple(held), left=len(left), refusals=refusals)


def contact_safe(referral: Referral) -> bool:
    """Whether the resident may be mailed about the transfer: not when the question is about
    safety at home (the owning team tells them in a safe way)."""
    return not (set(referral.request.life_areas or ()) & UNSAFE_LIFE_AREAS)


def start(user: User, tenant: Tenant, from_partner_id: int | None, to_partner_id: int | None,
          product: str | None, on: dt.date | None, note: str | None = None
          ) -> ContractTransfer:
    """Carry out :func:`plan` as one transaction, audited (``contract.transfer_started`` and
    ``referral.handover_started`` for each referral), and commit.

    Raises InvalidInput as :func:`plan` does, and for the first of its refusals; nothing is
    written then, nor on any other failure.
    """
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=NOTE_MAX), "note")
    # One start at a time per partner (PostgreSQL; SQLite writes one at a time anyway).
    if from_partner_id:
        db.session.execute(select(Partner.id).where(Partner.id == from_partner_id)
                           .with_for_update())
    try:
        found = plan(tenant, from_partner_id, to_partner_id, product, on)
        if found.refused:
            raise InvalidInput(found.refusals[0].message, "to_partner")
        transfer = _carry_out(user, found, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return transfer


def _carry_out(user: User, found: Plan, note: str | None) -> ContractTransfer:
    tenant, old, new = found.tenant, found.from_partner, found.to_partner
    transfer = ContractTransfer(
        tenant_id=tenant.id, from_partner_id=old.id, to_partner_id=new.id,
        product=found.product,
        from_contract_id=found.from_contract.id if found.from_contract else None,
        on=found.on, started_by_id=user.id, started_at=utcnow(), note=note,
        counts=found.counts, held_ids=[move.referral.id for move in found.held])
    db.session.add(transfer)
    db.session.flush()
    ruleset = ruleset_for(tenant)
    due = response_due(tenant, max(found.on, local_today()), route_days=None,
                       ruleset_days=ruleset.default_deadline_days)
    for move in found.moves:
        previous = move.referral
        request = previous.request
        with force_locale("nl"):
            reason = _("Taken over from %(partner)s: its contract ends. %(new)s helps from "
                       "%(date)s.", partner=old.name, new=new.name,
                       date=format_date(found.on, "long"))
        successor = referrals.open_referral(
            tenant, request, previous.domain, new, due_date=due, rule_ids=["transfer"],
            reason=f"{reason} {previous.reason}".strip(), ruleset_version=ruleset.version,
            actor=user, contract=move.contract, transferred_from=previous, transfer=transfer)
        audit.record("referral.handover_started", tenant_id=tenant.id,
                     object_type="referral", object_id=previous.id, actor=user,
                     transfer_id=transfer.id, successor_id=successor.id,
                     to_partner_id=new.id, on=found.on.isoformat())
        notices.referral_handover(tenant, request, previous, successor)
        if contact_safe(previous):
            notices.to_resident(tenant, request, "transferred", successor)
    for move in found.held:
        previous = move.referral
        request = previous.request
        with force_locale("nl"):
            text = _("The contract of %(partner)s ends. %(new)s helps from %(date)s, but the "
                     "resident has not consented to sharing the question with %(new)s. Ask "
                     "for consent. With consent, refer the question to %(new)s by hand: the "
                     "referral to %(partner)s ends when %(new)s accepts. Without consent, "
                     "find another way with the resident.", partner=old.name, new=new.name,
                     date=format_date(found.on, "long"))
        add_task(request, request.owner_team_id, "transfer_consent", text, previous)
        audit.record("referral.handover_started", tenant_id=tenant.id,
                     object_type="referral", object_id=previous.id, actor=user,
                     transfer_id=transfer.id, successor_id=None, to_partner_id=new.id,
                     on=found.on.isoformat(), consent_needed=True)
    audit.record("contract.transfer_started", tenant_id=tenant.id,
                 object_type="contract_transfer", object_id=transfer.id, actor=user,
                 reason=note, from_partner_id=old.id, to_partner_id=new.id,
                 product=found.product, on=found.on.isoformat(), counts=found.counts,
                 from_contract_id=transfer.from_contract_id)
    return transfer


# --- The handover note ---------------------------------------------------------------------------

def successor_of(referral: Referral) -> Referral | None:
    """The newest referral that takes ``referral`` over in a transfer, if any."""
    return db.session.scalars(select(Referral).where(
        Referral.transferred_from_id == referral.id).order_by(Referral.id.desc())).first()


def successors_of(referral_ids: list[int]) -> dict[int, Referral]:
    """The newest successor of each of ``referral_ids`` that has one, in one query."""
    if not referral_ids:
        return {}
    rows = db.session.scalars(select(Referral).where(
        Referral.transferred_from_id.in_(referral_ids)).order_by(Referral.id)).all()
    return {row.transferred_from_id: row for row in rows if row.transferred_from_id}


def note_open(successor: Referral) -> bool:
    """Whether the old partner can still write its note for ``successor``: not answered."""
    return successor.state in WAITING_STATES


def may_write_note(referral: Referral) -> bool:
    """Whether the old partner can still write the handover note: the successor has not
    answered yet."""
    successor = successor_of(referral)
    return successor is not None and note_open(successor)


def add_handover_note(user: User, referral_id: int, text: str | None) -> Referral:
    """The old partner writes (or changes) its handover note for the successor, on its own
    referral that is being handed over; audited, committed. Returns the successor's referral.

    NotFound for another organisation's referral (or a user who is not a partner's);
    InvalidInput for an empty or too long note; Conflict when the referral is not handed
    over, or the successor has already answered.
    """
    if user.role != PARTNER:
        raise NotFound(_("This referral does not exist or is not yours."))
    referral = referrals.referral_for(user, referral_id)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the handover note."), "note")
    if len(text) > NOTE_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=NOTE_MAX), "note")
    successor = successor_of(referral)
    if successor is None:
        raise Conflict(_("This referral is not being handed over to another organisation."))
    if not note_open(successor):
        raise Conflict(_("%(partner)s has already answered the referral. The handover note "
                         "cannot be changed any more.", partner=successor.target_name))
    changed = successor.handover_note is not None
    successor.handover_note, successor.handover_note_at = text, utcnow()
    audit.record("referral.handover_note", tenant_id=referral.tenant_id,
                 object_type="referral", object_id=referral.id, actor=user,
                 successor_id=successor.id, changed=changed)
    db.session.commit()
    return successor
