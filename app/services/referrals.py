"""Acting on referrals and requests: the referral lifecycle, picking up, tasks.

Authorization is decided here, next to the state change, so no view can forget it.
Another partner's or team's ids answer NotFound, never revealing that they exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from flask_babel import format_date
from sqlalchemy import Select, select

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import (
    BACK_TO_OWNER,
    LIVE_STATES,
    REQUEST_CLOSED,
    REQUEST_IN_PROGRESS,
    IllegalTransition,
    check_transition,
)
from app.limits import REASON_MAX
from app.messaging.in_app import notifications
from app.messaging.outgoing import notices
from app.models import (
    Contract,
    ContractTransfer,
    Partner,
    Referral,
    SupportRequest,
    Task,
    Team,
    Tenant,
    User,
    utcnow,
)
from app.roles import PARTNER, TEAM_ROLES
from app.services import audit, contracts, regions, request_states, tasks
from app.services.calendars import response_due
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.rulesets import ruleset_for
from app.services.tasks import add_task
from app.vocabulary import DOMAIN_LABELS, REFERRAL_STATE_LABELS, label
from referral_rules.vocabulary import DOMAINS, OUTCOMES


def open_referral(tenant: Tenant, request: SupportRequest, domain: str, target: Partner | Team,
                  *, due_date: dt.date, rule_ids: list[str], reason: str,
                  ruleset_version: str, actor: User | None = None,
                  contract: Contract | None = None, held: bool = False,
                  transferred_from: Referral | None = None,
                  transfer: ContractTransfer | None = None) -> Referral:
    """Make a referral: sent at once, or, when it would share the resident's details with a
    partner without consent, proposed with a task to ask for consent. A partner's referral
    names the ``contract`` it is made under (``app.services.contracts`` chose both). A
    ``held`` referral (nobody contracted has room) stays proposed, with a task for the owning
    team, until :mod:`app.services.capacity` releases it. A contract ``transfer`` names the
    referral it takes over (``transferred_from``) and tells the resident itself. The caller
    commits."""
    may_send = (not isinstance(target, Partner) or request.consent_share) and not held
    referral = Referral(
        tenant_id=tenant.id, request_id=request.id, domain=domain,
        target_team_id=target.id if isinstance(target, Team) else None,
        target_partner_id=target.id if isinstance(target, Partner) else None,
        contract_id=contract.id if contract is not None else None,
        transferred_from_id=transferred_from.id if transferred_from is not None else None,
        transfer_id=transfer.id if transfer is not None else None,
        state="sent" if may_send else "proposed", due_date=due_date, rule_ids=rule_ids,
        reason=reason, ruleset_version=ruleset_version, held_since=utcnow() if held else None)
    _mark_moments(referral, utcnow())
    db.session.add(referral)
    db.session.flush()
    audit.record("referral.created", tenant_id=tenant.id, object_type="referral",
                 object_id=referral.id, actor=actor, state=referral.state, domain=domain,
                 rule_ids=rule_ids, reason=reason if actor else None, held=held or None)
    if may_send:
        notices.referral_sent(tenant, request, referral, tell_resident=transfer is None)
        return referral
    with force_locale("nl"):
        if held and contract is not None:
            add_task(request, request.owner_team_id, "referral_held",
                     contracts.held_reason(contract, local_today()), referral)
        if isinstance(target, Partner) and not request.consent_share:
            add_task(request, request.owner_team_id, "consent_needed", _(
                "Ask the resident for consent to share the question with %(target)s.",
                target=target.name), referral)
    return referral


def targets(tenant_id: int) -> list[Partner | Team]:
    """Everyone a request can be referred to: the partners and teams of the municipality."""
    partners = db.session.scalars(select(Partner).where(Partner.tenant_id == tenant_id)
                                  .order_by(Partner.name)).all()
    teams = db.session.scalars(select(Team).where(Team.tenant_id == tenant_id)
                               .order_by(Team.name)).all()
    return [*partners, *teams]


def target_key(target: Partner | Team) -> str:
    return f"{'partner' if isinstance(target, Partner) else 'team'}:{target.id}"


def refer_by_hand(user: User, request: SupportRequest, domain: str, target: str,
                  reason: str) -> Referral:
    """Staff add a referral the rules did not make (an override: logged with the reason)."""
    reason = required_reason(reason, _("Say why you refer by hand."))
    request_states.ensure_open(request)
    if domain not in DOMAINS:
        raise InvalidInput(_("Choose a domain."), "domain")
    chosen = {target_key(t): t for t in targets(user.tenant_id)}.get(target)
    if chosen is None or (isinstance(chosen, Team) and chosen.id == request.owner_team_id):
        raise InvalidInput(_("Choose an organisation or another team."), "target")
    if any(r.state in LIVE_STATES and r.domain == domain and r.target is not None
           and target_key(r.target) == target for r in request.referrals):
        raise Conflict(_("This referral is already open."))
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    contract, held, today = None, False, local_today()
    # A question a contract transfer holds until consent goes under the successor's contract
    # from the day it helps.
    waiting = None
    if isinstance(chosen, Partner):
        waiting = _awaiting_transfer_consent(request, domain, chosen)
        codes = contracts.place_codes(tenant, request.buurt_code, request.wijk_code)
        contract = contracts.contract_for(chosen, codes, domain,
                                          max(today, waiting[1].on) if waiting else today)
        if contract is None:
            raise InvalidInput(_("%(partner)s has no contract for %(domain)s here today. "
                                 "Choose another organisation.", partner=chosen.name,
                                 domain=label(DOMAIN_LABELS, domain)), "target")
        if not contracts.term(contract).has_room_on(today):
            other = contracts.contracted(tenant, codes, domain, None, today)
            if other is not None and not other.held:
                raise InvalidInput(_("%(partner)s takes no new referrals now. %(other)s has "
                                     "room: choose it, or refer later.", partner=chosen.name,
                                     other=other.partner.name), "target")
            held = True  # nobody has room: it waits for the one chosen
    ruleset = ruleset_for(tenant)
    referral = open_referral(tenant, request, domain, chosen, contract=contract, held=held,
                             due_date=response_due(tenant, today, route_days=None,
                                                   ruleset_days=ruleset.default_deadline_days),
                             rule_ids=["manual"], reason=reason,
                             ruleset_version=ruleset.version, actor=user,
                             transferred_from=waiting[0] if waiting else None)
    if waiting is not None:
        _take_over_after_consent(user, tenant, referral, *waiting)
    db.session.commit()
    return referral


def _awaiting_transfer_consent(request: SupportRequest, domain: str, partner: Partner
                      ) -> tuple[Referral, ContractTransfer, Task] | None:
    """A live referral of the request for ``domain`` that a contract transfer to ``partner``
    holds until the resident consents (an open ``transfer_consent`` task), if any."""
    for task in request.tasks:
        previous = db.session.get(Referral, task.referral_id) if task.referral_id else None
        if (task.kind != "transfer_consent" or not tasks.is_open(task) or previous is None
                or previous.domain != domain or previous.state not in LIVE_STATES):
            continue
        transfer = db.session.scalars(select(ContractTransfer).where(
            ContractTransfer.tenant_id == request.tenant_id,
            ContractTransfer.from_partner_id == previous.target_partner_id,
            ContractTransfer.to_partner_id == partner.id)
            .order_by(ContractTransfer.id.desc())).first()
        if transfer is not None and previous.id in (transfer.held_ids or []):
            return previous, transfer, task
    return None


def _take_over_after_consent(user: User, tenant: Tenant, referral: Referral, previous: Referral,
                    transfer: ContractTransfer, task: Task) -> None:
    """The resident consented, and the team referred the held question to the transfer's
    successor: the new referral takes the old one over as the transfer's others do (the old
    partner is asked for a handover note; the old referral ends when the new one is
    accepted), and the consent task is done. The resident heard of the referral already."""
    referral.transfer_id = transfer.id
    referral.transfer = transfer
    tasks.complete(task, user)
    audit.record("referral.handover_started", tenant_id=tenant.id, object_type="referral",
                 object_id=previous.id, actor=user, transfer_id=transfer.id,
                 successor_id=referral.id, to_partner_id=transfer.to_partner_id,
                 on=transfer.on.isoformat(), consent_given=True)
    notices.referral_handover(tenant, referral.request, previous, referral)


def referral_for(user: User, referral_id: int) -> Referral:
    """The referral if it was sent to the user's organisation or team; else NotFound."""
    referral = db.session.get(Referral, referral_id)
    # A regional partner receives referrals of every member municipality of its region
    # (app/services/regions.py); anyone else only of their own municipality.
    same_tenant = referral is not None and (referral.tenant_id == user.tenant_id
                                            or user.role == PARTNER)
    if referral is None or not same_tenant or not receives(user, referral):
        raise NotFound(_("This referral does not exist or is not yours."))
    return referral


def received_referrals(user: regions.PartnerActor) -> Select[Referral]:
    """The referrals a partner's user or API token receives (of every municipality of its
    region, for a regional partner), as a query to filter and order further."""
    return select(Referral).where(
        Referral.target_partner_id.in_(regions.partner_ids(user)),
        Referral.state != "proposed",  # not shared before the resident consents
    )


def receives(user: User, referral: Referral) -> bool:
    if referral.state == "proposed":
        return False  # nothing is shared before the resident consents
    if user.role == PARTNER:
        return (referral.target_partner is not None
                and referral.target_partner.tenant_id == referral.tenant_id
                and referral.target_partner_id in regions.partner_ids(user))
    if user.role in TEAM_ROLES:
        return user.team_id is not None and referral.target_team_id == user.team_id
    return False


def _move(referral: Referral, target: str, actor: User | None, reason: str | None = None,
          **details: object) -> None:
    """Change the state through the one state machine, with an audit event (who, why)."""
    try:
        check_transition(referral.state, target)
    except IllegalTransition as exc:
        raise Conflict(
            _("This referral has the state '%(state)s'. This step is not possible now.",
              state=label(REFERRAL_STATE_LABELS, referral.state))
        ) from exc
    previous = referral.state
    referral.state = target
    _mark_moments(referral, utcnow())
    audit.record(
        f"referral.{target}",
        tenant_id=referral.tenant_id,
        object_type="referral",
        object_id=referral.id,
        actor=actor,
        actor_label=None if actor else "scheduler",
        reason=reason,
        previous_state=previous,
        **details,
    )


#: The moments a referral's state sets, each once: the first move into it counts, so a later
#: move never rewrites when it was sent, answered (the receiver's first accept or decline),
#: accepted or ended (any final state). app/services/punctuality.py reads them.
MOMENTS: Final[dict[str, tuple[str, ...]]] = {
    "sent": ("sent_at",),
    "accepted": ("answered_at", "accepted_at"),
    "declined": ("answered_at", "ended_at"),
    "completed": ("ended_at",),
    "returned": ("ended_at",),
    "expired": ("ended_at",),
    "withdrawn": ("ended_at",),
}


def _mark_moments(referral: Referral, now: dt.datetime) -> None:
    for field in MOMENTS.get(referral.state, ()):
        if getattr(referral, field) is None:
            setattr(referral, field, now)


def accept(user: User, referral_id: int) -> Referral:
    """The receiving organisation takes the referral on."""
    referral = referral_for(user, referral_id)
    _move(referral, "accepted", user)
    _tell_owner(referral, "referral_accepted")
    if referral.transferred_from_id is not None:
        _end_predecessor(referral, user)
    db.session.commit()
    return referral


def _end_predecessor(successor: Referral, actor: User) -> None:
    """A contract transfer's ``successor`` was accepted: the referral it took over ends,
    "referred on" when the old partner had it (completed, outcome ``doorverwezen``),
    withdrawn when it still waited for the old partner's answer; nothing when it ended
    meanwhile. The reason in the audit is "transferred"."""
    predecessor = successor.transferred_from
    assert predecessor is not None
    told = predecessor.state in ("sent", "accepted", "in_progress")  # the partner has it
    if predecessor.state in ("accepted", "in_progress"):
        _move(predecessor, "completed", actor, "transferred", outcome="doorverwezen")
        predecessor.outcome = "doorverwezen"
        with force_locale("nl"):
            predecessor.outcome_note = _("Taken over by %(target)s (the contract ended).",
                                         target=successor.target_name)
    elif predecessor.state in ("sent", "proposed"):
        _move(predecessor, "withdrawn", actor, "transferred")
        with force_locale("nl"):
            predecessor.state_reason = _("Taken over by %(target)s (the contract ended).",
                                         target=successor.target_name)
    tenant = db.session.get(Tenant, predecessor.tenant_id) if told else None
    if tenant is not None:
        notices.referral_taken_over(tenant, predecessor.request, predecessor, successor)


def required_reason(reason: str | None, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(missing, "reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "reason")
    return reason


def _hand_back(user: User, referral_id: int, target: str, reason: str) -> Referral:
    """Declined or given back: the owning team gets a task with the receiver's reason."""
    referral = referral_for(user, referral_id)
    _move(referral, target, user, reason)
    referral.state_reason = reason
    _back_to_owner(referral)
    db.session.commit()
    return referral


def decline(user: User, referral_id: int, reason: str) -> Referral:
    """The receiving organisation declines a referral it was sent."""
    return _hand_back(user, referral_id, "declined",
                      required_reason(reason, _("Give a reason for declining.")))


def start(user: User, referral_id: int) -> Referral:
    """The receiving organisation starts working with the resident."""
    referral = referral_for(user, referral_id)
    _move(referral, "in_progress", user)
    db.session.commit()
    return referral


def complete(user: User, referral_id: int, outcome: str, note: str | None = None) -> Referral:
    """The receiving organisation closes the referral with an outcome and a note."""
    if outcome not in OUTCOMES:
        raise InvalidInput(_("Choose how it ended."), "outcome")
    note = (note or "").strip() or None
    if note and len(note) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "note")
    referral = referral_for(user, referral_id)
    _move(referral, "completed", user, note, outcome=outcome)
    referral.outcome, referral.outcome_note = outcome, note
    _tell_owner(referral, "referral_completed")
    db.session.commit()
    return referral


def _tell_owner(referral: Referral, kind: str) -> None:
    request = referral.request
    notifications.notify(notifications.who_hears(request), request, kind,
                         target=referral.target_name)


def give_back(user: User, referral_id: int, reason: str) -> Referral:
    """The receiving organisation gives an accepted referral back to the owning team."""
    return _hand_back(user, referral_id, "returned",
                      required_reason(reason, _("Give a reason for giving it back.")))


def owned_referral(user: User, referral_id: int) -> Referral:
    """A referral of a request the user's team owns; else NotFound."""
    referral = db.session.get(Referral, referral_id)
    if (referral is None or referral.tenant_id != user.tenant_id or user.team_id is None
            or referral.request.owner_team_id != user.team_id):
        raise NotFound(_("This referral does not exist or is not yours."))
    return referral


def withdraw(user: User, referral_id: int, reason: str) -> Referral:
    """The owning team withdraws a live referral; a receiver who had it is told."""
    reason = required_reason(reason, _("Give a reason for withdrawing."))
    referral = owned_referral(user, referral_id)
    was_shared = referral.state != "proposed"
    _move(referral, "withdrawn", user, reason)
    referral.state_reason = reason
    for task in referral.request.tasks:  # asking consent, waiting for room: no longer needed
        if task.referral_id == referral.id and task.kind in ("consent_needed", "referral_held"):
            tasks.complete(task, user)
    if was_shared:
        tenant = db.session.get(Tenant, referral.tenant_id)
        assert tenant is not None
        notices.referral_withdrawn(tenant, referral.request, referral)
    db.session.commit()
    return referral


def send_with_consent(user: User, referral_id: int) -> Referral:
    """The resident gave consent: the owning team sends the proposed referral. A held one
    keeps waiting for room, now with consent, and is sent when it is released."""
    referral = owned_referral(user, referral_id)
    request = referral.request
    if referral.held_since is not None:
        if request.consent_share:
            raise Conflict(_("The resident already agreed. The referral waits until "
                             "%(target)s has room.", target=referral.target_name))
        audit.record("referral.consent_given", tenant_id=referral.tenant_id,
                     object_type="referral", object_id=referral.id, actor=user)
    else:
        _move(referral, "sent", user, "consent given")
    request.consent_share = True
    for task in request.tasks:
        if task.kind == "consent_needed" and task.referral_id == referral.id:
            tasks.complete(task, user)
    if referral.held_since is None:
        tenant = db.session.get(Tenant, referral.tenant_id)
        assert tenant is not None
        notices.referral_sent(tenant, request, referral)
    db.session.commit()
    return referral


def send_released(tenant: Tenant, referral: Referral) -> None:
    """A held referral goes now that its partner has room (app/services/capacity.py). The
    caller commits."""
    _move(referral, "sent", None, "room at the partner")
    notices.referral_sent(tenant, referral.request, referral)


def withdraw_unplaced(referral: Referral, reason: str) -> None:
    """A held referral whose domain no longer has any live contract there: withdrawn (its
    partner never saw it); the caller gives the owning team a task. The caller commits."""
    _move(referral, "withdrawn", None, "no live contract left")
    referral.held_since = None
    referral.state_reason = reason


def expire(referral: Referral) -> None:
    """No answer in time (the scheduler): back to the owning team. The caller commits."""
    _move(referral, "expired", None, "no answer before the deadline")
    with force_locale("nl"):
        referral.state_reason = _("No answer before %(date)s.",
                                  date=format_date(referral.due_date, "medium"))
    _back_to_owner(referral)


def _back_to_owner(referral: Referral) -> None:
    """A declined, expired or returned referral becomes a task for the owning team."""
    assert referral.state in BACK_TO_OWNER
    request = referral.request
    tenant = db.session.get(Tenant, referral.tenant_id)
    assert tenant is not None
    with force_locale("nl"):
        texts = {
            "declined": _("%(target)s declined the referral: %(reason)s",
                          target=referral.target_name, reason=referral.state_reason),
            "returned": _("%(target)s gave the referral back: %(reason)s",
                          target=referral.target_name, reason=referral.state_reason),
            "expired": _("%(target)s did not answer the referral in time. %(reason)s",
                         target=referral.target_name, reason=referral.state_reason),
        }
        text = texts[referral.state]
    add_task(request, request.owner_team_id, f"referral_{referral.state}", text, referral)
    notices.referral_returned_to_owner(tenant, request, referral, request.owner_team)


def request_for_staff(user: User, reference: str) -> SupportRequest:
    """A request the staff member's team owns, is asked to take over, or received a referral
    for; else NotFound."""
    request = db.session.scalar(
        select(SupportRequest).where(
            SupportRequest.reference == reference, SupportRequest.tenant_id == user.tenant_id
        )
    )
    if request is None or user.team_id is None:
        raise NotFound(_("This request does not exist or is not for your team."))
    if request.owner_team_id != user.team_id and request.transfer_team_id != user.team_id \
            and not any(r.target_team_id == user.team_id for r in request.referrals):
        raise NotFound(_("This request does not exist or is not for your team."))
    return request


def owned_request(user: User, reference: str) -> SupportRequest:
    """A request the staff member's team owns; else NotFound."""
    request = request_for_staff(user, reference)
    if request.owner_team_id != user.team_id:
        raise NotFound(_("This request does not exist or is not for your team."))
    return request


def pick_up(user: User, reference: str) -> SupportRequest:
    """The staff member becomes the request's coordinator."""
    request = owned_request(user, reference)
    request_states.ensure_open(request)
    if request.coordinator_id is not None:
        raise Conflict(_("This request already has a coordinator."))
    request_states.move(request, REQUEST_IN_PROGRESS, user)
    request.coordinator_id = user.id
    audit.record(
        "request.picked_up",
        tenant_id=request.tenant_id,
        object_type="support_request",
        object_id=request.id,
        actor=user,
    )
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    notices.to_resident(tenant, request, "picked_up")
    db.session.commit()
    return request


def close_request(user: User, reference: str, note: str) -> SupportRequest:
    """The owning team closes the request; open tasks end with it, live referrals must not."""
    note = required_reason(note, _("Write down how the question ended."))
    request = owned_request(user, reference)
    request_states.ensure_open(request)
    if any(r.state in LIVE_STATES for r in request.referrals):
        raise Conflict(_("Some referrals are still open. Withdraw them or wait until they "
                         "are finished."))
    now = utcnow()
    for task in request.tasks:
        tasks.complete(task, user, now)
    request_states.move(request, REQUEST_CLOSED, user)
    request.closed_at, request.close_note = now, note
    audit.record("request.closed", tenant_id=request.tenant_id, object_type="support_request",
                 object_id=request.id, actor=user, reason=note)
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    notices.to_resident(tenant, request, "closed")
    db.session.commit()
    return request


FEEDBACK_ANSWERS = ("ja", "deels", "nee")


def give_feedback(request: SupportRequest, answer: str, comment: str | None) -> None:
    """The resident's answer after closure; "nee" asks the owning team to look again."""
    if answer not in FEEDBACK_ANSWERS:
        raise InvalidInput(_("Choose an answer."), "answer")
    comment = (comment or "").strip() or None
    if comment and len(comment) > REASON_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=REASON_MAX), "comment")
    if request.status != REQUEST_CLOSED or request.feedback is not None:
        raise Conflict(_("Thank you, we already have your answer."))
    request.feedback, request.feedback_comment, request.feedback_at = answer, comment, utcnow()
    audit.record("request.feedback", tenant_id=request.tenant_id, object_type="support_request",
                 object_id=request.id, actor_label="resident", answer=answer)
    if answer == "nee":
        with force_locale("nl"):
            reason = _("The resident says the question was not solved. Look at it again.")
            if comment:
                reason += " " + _("The resident wrote: %(comment)s", comment=comment)
        add_task(request, request.owner_team_id, "reopen_request", reason)
    db.session.commit()


def complete_task(user: User, task_id: int) -> Task:
    """Mark a task of the user's team as done."""
    task = db.session.get(Task, task_id)
    if task is None or task.tenant_id != user.tenant_id or task.team_id != user.team_id:
        raise NotFound(_("This task does not exist or is not for your team."))
    if not tasks.complete(task, user):
        raise Conflict(_("This task is already done."))
    audit.record("task.done", tenant_id=task.tenant_id, object_type="task",
                 object_id=task.id, actor=user)
    db.session.commit()
    return task
