"""Submitting a support request: one transaction from intake to notifications.

Invariant 1 (no lost intake): the request, its referrals, tasks, outbox messages and audit
event are committed together before the resident sees the reference. A failing lookup never
loses the request: the gap becomes a task for the central intake team.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import REQUEST_INITIAL
from app.messaging.in_app import notifications
from app.messaging.outgoing import notices
from app.models import (
    Partner,
    ReferenceCounter,
    SupportRequest,
    Team,
    Tenant,
    User,
)
from app.services import audit, contracts, safe_contact
from app.services.calendars import response_due
from app.services.referrals import open_referral
from app.services.routing import Placement, owner_team, place, responsible
from app.services.rulesets import ruleset_for
from app.services.status_tokens import status_token as status_token  # app.api imports it here
from app.services.tasks import add_task
from app.vocabulary import DOMAIN_LABELS, label
from referral_rules import Decision, Route, evaluate
from referral_rules import Ruleset as RulesRuleset
from referral_rules.vocabulary import OWNER_DOMAIN, URGENCY_CRISIS, URGENCY_URGENT


@dataclass(frozen=True)
class IntakeData:
    """A validated intake, the same from the web form, staff intake and the API."""

    for_whom: str
    life_areas: tuple[str, ...]
    description: str
    urgency: str
    consent_share: bool
    channel: str = "web"
    language: str = "nl"
    postcode: str | None = None
    house_number: str | None = None
    address: str | None = None  # free text, when the postcode is not known
    no_fixed_address: bool = False
    birth_date: dt.date | None = None
    age: int | None = None
    housing: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_preferred: str | None = None
    email_updates: bool = False  # the resident opted in to e-mails about the question
    #: Whether the resident said it is safe to write or call (None: not answered), and when
    #: it is not, the safe way to reach them, if any (app.services.safe_contact).
    contact_safe: bool | None = None
    safe_phone: str | None = None
    safe_times: str | None = None
    code_word: str | None = None
    submission_token: str | None = None
    extra_facts: dict[str, Any] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        """The facts the referral rules decide on."""
        facts: dict[str, Any] = {
            "for_whom": self.for_whom,
            "life_areas": list(self.life_areas),
            "urgency": self.urgency,
            "housing": "geen_vaste_woonplek" if self.no_fixed_address else self.housing,
            "language": self.language,
        }
        if self.birth_date is not None:
            facts["birth_date"] = self.birth_date.isoformat()
        elif self.age is not None:
            facts["age"] = self.age
        facts.update(self.extra_facts)
        return facts


def next_reference(year: int) -> str:
    """The next reference, WL-YYYY-NNNNNN, from an atomic counter (safe under concurrency)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReferenceCounter).values(year=year, value=0).on_conflict_do_nothing()
    )
    value = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(value=ReferenceCounter.value + 1)
        .returning(ReferenceCounter.value)
    ).scalar_one()
    return f"WL-{year}-{value:06d}"


def find_by_submission_token(tenant: Tenant, token: str | None) -> SupportRequest | None:
    """The request already made with this form token (a re-submit), if any."""
    if not token:
        return None
    return db.session.scalar(
        select(SupportRequest).where(
            SupportRequest.tenant_id == tenant.id, SupportRequest.submission_token == token
        )
    )


def submit_request(
    tenant: Tenant, data: IntakeData, *, actor: User | None = None
) -> SupportRequest:
    """Store a request with its owner, routes, referrals, tasks and notices; commit.

    Idempotent on ``data.submission_token``: a second submit returns the first request.
    Raises ``referral_rules.FactError`` when the facts are invalid (nothing is stored).
    """
    existing = find_by_submission_token(tenant, data.submission_token)
    if existing is not None:
        return existing

    today = local_today()
    ruleset = ruleset_for(tenant)
    placement = place(tenant, data.postcode, data.house_number, data.no_fixed_address,
                      address=data.address)
    facts = data.facts()
    if placement.buurt_code:  # rules may depend on the neighbourhood (e.g. a district team)
        facts.update(buurt_code=placement.buurt_code, wijk_code=placement.wijk_code)
    decision = evaluate(ruleset, facts, on=today)
    owner = owner_team(tenant, placement)

    request = SupportRequest(
        tenant_id=tenant.id,
        reference=next_reference(today.year),
        submission_token=data.submission_token,
        status_salt=secrets.token_hex(8),
        channel=data.channel,
        language=data.language,
        for_whom=data.for_whom,
        postcode=None if data.no_fixed_address else data.postcode,
        house_number=None if data.no_fixed_address else data.house_number,
        address=None if data.no_fixed_address else data.address,
        no_fixed_address=data.no_fixed_address,
        birth_date=data.birth_date,
        age=decision.age if decision.age is not None else data.age,
        life_areas=list(data.life_areas),
        description=data.description,
        urgency=data.urgency,
        priority=decision.priority,
        housing=data.housing,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
        contact_preferred=data.contact_preferred,
        email_updates=data.email_updates and bool(data.contact_email),
        consent_share=data.consent_share,
        lon=placement.lon,
        lat=placement.lat,
        location_precision=placement.precision,
        location_problem=placement.problem,
        map_year=placement.map_year,
        buurt_code=placement.buurt_code,
        wijk_code=placement.wijk_code,
        owner_team_id=owner.id,
        status=REQUEST_INITIAL,
        decision=decision.to_dict(),
        ruleset_version=decision.ruleset_version,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(request)
    db.session.flush()
    # Before anything is written to the resident: the resident's own answer, else a rule's
    # (say, on safety at home) unless the resident said contact is safe.
    if data.contact_safe is False:
        safe_contact.mark_unsafe(request, by=safe_contact.BY_RESIDENT, safe_phone=data.safe_phone,
                                 safe_times=data.safe_times, code_word=data.code_word)
    elif decision.contact_not_safe and data.contact_safe is None:
        safe_contact.mark_unsafe(request, by=safe_contact.BY_RULE,
                                 rules=decision.contact_not_safe)

    # Tasks are written in Dutch, the working language of the teams.
    with force_locale("nl"):
        _add_location_task(request, placement, owner)
        for route in decision.routes:
            refer_route(tenant, request, placement, owner, route, ruleset, today)
        _add_rule_tasks(request, decision, owner)
        if decision.priority == URGENCY_CRISIS:
            add_task(request, owner.id, "crisis",
                     _("Danger or crisis: contact the resident today."))
            notices.crisis_alert(tenant, request, owner)
        elif decision.priority == URGENCY_URGENT:
            notifications.notify(notifications.team_members(owner.id), request, "new_urgent")

    notices.to_resident(tenant, request, "received")
    audit.record(
        "request.submitted",
        tenant_id=tenant.id,
        object_type="support_request",
        object_id=request.id,
        actor=actor,
        actor_label=None if actor else f"resident via {data.channel}",
        channel=data.channel,
        owner_team_id=owner.id,
        ruleset_version=decision.ruleset_version,
    )
    db.session.commit()
    return request


def _add_location_task(request: SupportRequest, placement: Placement, owner: Team) -> None:
    reasons = {
        "unknown_postcode": _("The postcode is not in our postcode table. Find out where the "
                              "resident lives and pass the request to the right team."),
        "outside_area": _("The address lies outside the areas of this municipality. Find out "
                          "where the resident lives and pass the request on."),
        "unknown_address": _("The address could not be found. Find out where the resident "
                             "lives and pass the request to the right team."),
        "geocoder_down": _("The address could not be looked up (the address service did not "
                           "answer). Find out where the resident lives and pass the request to "
                           "the right team."),
        "pc4_ambiguous": _("Only the first four digits of the postcode are known, and that area "
                           "belongs to more than one team. Find out the full address and pass the "
                           "request to the right team."),
    }
    if placement.problem in reasons:
        add_task(request, owner.id, "location_unknown", reasons[placement.problem])


def _add_rule_tasks(request: SupportRequest, decision: Decision, owner: Team) -> None:
    for action in decision.tasks:
        add_task(request, owner.id, action.kind, action.reason)


def refer_route(
    tenant: Tenant,
    request: SupportRequest,
    placement: Placement,
    owner: Team,
    route: Route,
    ruleset: RulesRuleset,
    today: dt.date,
) -> None:
    """Turn one route into a referral, unless the owning team handles it itself."""
    target = None if route.domain == OWNER_DOMAIN else responsible(tenant, placement, route.domain)
    if target is None or (isinstance(target, Team) and target.id == owner.id):
        return  # handled by the owning team itself; the decision records the route
    contract, held = None, False
    if isinstance(target, Partner):
        found = contracts.contracted(
            tenant, contracts.place_codes(tenant, placement.buurt_code, placement.wijk_code),
            route.domain, target, today)
        if found is None:
            add_task(request, owner.id, "no_contract", contracts.no_contract_reason(
                label(DOMAIN_LABELS, route.domain), today))
            return
        target, contract, held = found.partner, found.contract, found.held
    open_referral(tenant, request, route.domain, target, contract=contract, held=held,
                  due_date=response_due(tenant, today, route_days=route.deadline_days,
                                        ruleset_days=ruleset.default_deadline_days),
                  rule_ids=list(route.rule_ids),
                  reason=" ".join(reason.title for reason in route.reasons),
                  ruleset_version=ruleset.version)


def new_submission_token() -> str:
    """A fresh token for a form, so a re-submit is recognised."""
    return secrets.token_urlsafe(24)
