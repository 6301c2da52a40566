"""Changing a request's life areas: the rules run again and staff see the differences
before anything changes; on confirmation new routes get their referrals. Referrals of routes
that fell away are not withdrawn silently: staff see them and withdraw them with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _, force_locale
from app.lifecycle import LIVE_STATES
from app.models import Referral, SupportRequest, Team, Tenant, User
from app.services import audit, request_states, safe_contact
from app.services.errors import InvalidInput
from app.services.intake import IntakeData, refer_route
from app.services.routing import Placement
from app.services.rulesets import ruleset_for
from app.services.tasks import add_task
from referral_rules import Decision, evaluate
from referral_rules.vocabulary import LIFE_AREAS


@dataclass(frozen=True)
class Rerun:
    life_areas: tuple[str, ...]
    decision: Decision
    added: tuple[str, ...]  # domains the rules route to now and did not before
    removed: tuple[str, ...]  # domains no longer routed
    kept: tuple[str, ...]
    priority_before: str
    open_referrals_removed: tuple[Referral, ...]  # live referrals of removed domains

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.removed or
                    self.decision.priority != self.priority_before)


def facts_of(request: SupportRequest, life_areas: tuple[str, ...]) -> dict[str, Any]:
    """The facts the rules decided on at intake, with new life areas."""
    facts = IntakeData(
        for_whom=request.for_whom, life_areas=life_areas, description=request.description,
        urgency=request.urgency, consent_share=request.consent_share,
        language=request.language, no_fixed_address=request.no_fixed_address,
        housing=request.housing, birth_date=request.birth_date, age=request.age).facts()
    if request.buurt_code:
        facts.update(buurt_code=request.buurt_code, wijk_code=request.wijk_code)
    return facts


def preview(request: SupportRequest, life_areas: list[str]) -> Rerun:
    chosen = tuple(area for area in LIFE_AREAS if area in set(life_areas))
    if not chosen:
        raise InvalidInput(_("Choose at least one subject."), "life_areas")
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    decision = evaluate(ruleset_for(tenant), facts_of(request, chosen), on=dt.date.today())
    before = [route["domain"] for route in request.decision.get("routes", [])]
    after = list(decision.domains)
    removed = tuple(d for d in before if d not in after)
    return Rerun(
        life_areas=chosen, decision=decision,
        added=tuple(d for d in after if d not in before), removed=removed,
        kept=tuple(d for d in after if d in before), priority_before=request.priority,
        open_referrals_removed=tuple(r for r in request.referrals
                                     if r.domain in removed and r.state in LIVE_STATES))


def apply(user: User, request: SupportRequest, life_areas: list[str]) -> Rerun:
    """Store the new life areas and decision; new routes get referrals (the caller checked
    ownership and the version)."""
    request_states.ensure_open(request)
    rerun = preview(request, life_areas)
    tenant = db.session.get(Tenant, request.tenant_id)
    assert tenant is not None
    before = {"life_areas": list(request.life_areas), "priority": request.priority,
              "domains": [route["domain"] for route in request.decision.get("routes", [])]}
    # A rule that newly says contact is not safe marks it, before anything is written.
    said_before = set(request.decision.get("contact_not_safe", ()))
    newly_unsafe = tuple(rule for rule in rerun.decision.contact_not_safe
                         if rule not in said_before)
    if newly_unsafe and not request.contact_unsafe:
        safe_contact.mark_unsafe(request, by=safe_contact.BY_RULE, user=user, rules=newly_unsafe)
    request.life_areas = list(rerun.life_areas)
    request.decision = rerun.decision.to_dict()
    request.priority = rerun.decision.priority
    request.ruleset_version = rerun.decision.ruleset_version
    placement = Placement(buurt_code=request.buurt_code, wijk_code=request.wijk_code,
                          map_year=request.map_year)
    owner = db.session.get(Team, request.owner_team_id)
    assert owner is not None
    ruleset = ruleset_for(tenant)
    with force_locale("nl"):
        for route in rerun.decision.routes:
            if route.domain in rerun.added:
                refer_route(tenant, request, placement, owner, route, ruleset, local_today())
        for referral in rerun.open_referrals_removed:
            add_task(request, owner.id, "route_removed",
                     _("The rules no longer route this request to %(target)s. Withdraw the "
                       "referral if it is no longer needed.", target=referral.target_name),
                     referral)
    audit.record("request.life_areas_changed", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 before=before, after={"life_areas": list(rerun.life_areas),
                                       "priority": rerun.decision.priority,
                                       "domains": list(rerun.decision.domains)})
    db.session.commit()
    return rerun


__all__ = ["Rerun", "apply", "facts_of", "preview"]
