"""Rows for integration tests, built in one place.

Each factory adds its row to the session and flushes (so it has an id) but does not commit:
the test commits when its world is complete, as a service would. Every argument has a
sensible default and the keyword arguments set any other column, so a test names only what it
is about. Keys, e-mail addresses and references are unique per run.

Most tests start from the demo municipality (the ``demo`` fixture) or from a resident's form
(``submit_form``), which go through the real services; these factories are for the rows a test
needs in a state the services would take many steps to reach, or for a second municipality::

    other = factories.tenant()
    team = factories.team(other)
    request = factories.support_request(team, domains=("wmo",))
    factories.referral(request, "wmo", factories.partner(other, domain="wmo"))
    db.session.commit()
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import Any

import pyotp

from app.extensions import db
from app.models import (
    ApiToken,
    Contract,
    Coverage,
    Partner,
    Referral,
    SupportRequest,
    Task,
    Team,
    Tenant,
    User,
    utcnow,
)

_numbers = itertools.count(1)

#: The ruleset version of requests and referrals made here (not one of a real ruleset file).
RULESET_VERSION = "test"


def _next() -> int:
    return next(_numbers)


@functools.cache
def _password_hash(password: str) -> str:
    # argon2 is slow on purpose; one hash per password and run is enough for tests.
    from app.services.passwords import hash_password

    return hash_password(password)


def _add(row: Any) -> Any:
    db.session.add(row)
    db.session.flush()
    return row


def tenant(slug: str | None = None, *, name: str | None = None, gemeentecode: str = "GM9998",
           ruleset: str = "demo", **fields: Any) -> Tenant:
    """A municipality (by default another one than the demo, with the demo's ruleset)."""
    number = _next()
    slug = slug or f"elders{number}"
    return _add(Tenant(slug=slug, name=name or f"Elders {number}", gemeentecode=gemeentecode,
                       ruleset=ruleset, **fields))


def team(of: Tenant, key: str | None = None, *, name: str | None = None,
         kind: str = "wijkteam", **fields: Any) -> Team:
    """A team of the municipality ``of``."""
    number = _next()
    return _add(Team(tenant_id=of.id, key=key or f"team{number}",
                     name=name or f"Wijkteam {number}", kind=kind, **fields))


def partner(of: Tenant, key: str | None = None, *, name: str | None = None,
            domain: str | None = None, area_code: str | None = None, **fields: Any) -> Partner:
    """A partner organisation of ``of``; with ``domain``, also its service: the partner is
    responsible for that domain in ``area_code`` (None: everywhere in the municipality),
    under a contract for it there that runs until further notice."""
    number = _next()
    row = _add(Partner(tenant_id=of.id, key=key or f"partner{number}",
                       name=name or f"Partner {number}", **fields))
    if domain is not None:
        _add(Coverage(tenant_id=of.id, area_code=area_code, domain=domain, partner_id=row.id))
        contract(row, domains=(domain,), areas=(area_code,) if area_code else ())
    return row


def contract(of: Partner, *, domains: tuple[str, ...] = ("wmo",), areas: tuple[str, ...] = (),
             product: str = "individuele_begeleiding", starts_on: dt.date | None = None,
             ends_on: dt.date | None = None, key: str | None = None,
             **fields: Any) -> Contract:
    """A contract of the partner ``of`` for ``domains`` in ``areas`` (none: the whole
    municipality), from a year ago (or ``starts_on``) until ``ends_on`` (None: until further
    notice)."""
    return _add(Contract(tenant_id=of.tenant_id, partner_id=of.id,
                         key=key or f"contract{_next()}", product=product,
                         domains=list(domains), areas=list(areas),
                         starts_on=starts_on or dt.date.today() - dt.timedelta(days=365),
                         ends_on=ends_on, **fields))


def user(of: Tenant, *, role: str = "staff", team: Team | None = None,
         partner: Partner | None = None, email: str | None = None, name: str | None = None,
         password: str | None = None, **fields: Any) -> User:
    """An active account of ``of`` with a second factor set up, so ``login`` works for it.

    ``password`` defaults to the demo password (what ``login`` types when told none)."""
    from app.services.demo import DEMO_PASSWORD

    number = _next()
    values: dict[str, Any] = {"active": True, "totp_secret": pyotp.random_base32(),
                              "mfa_enabled_at": utcnow(), "recovery_codes": [], **fields}
    return _add(User(tenant_id=of.id, email=email or f"{role}{number}@{of.slug}.example",
                     name=name or f"{role.capitalize()} {number}", role=role,
                     team_id=team.id if team else None,
                     partner_id=partner.id if partner else None,
                     password_hash=_password_hash(password or DEMO_PASSWORD), **values))


def decision(domains: tuple[str, ...] = ("wijkteam",), *, priority: str = "normaal",
             title: str = "Een regel") -> dict[str, Any]:
    """A stored rules decision routing to ``domains``, shaped as ``engine.Decision`` stores."""
    return {"routes": [{"domain": domain, "rule_ids": [f"{domain}-regel"],
                        "reasons": [{"rule_id": f"{domain}-regel", "title": title, "basis": "",
                                     "matched": []}],
                        "life_areas": [], "deadline_days": None, "requires_consent": False}
                       for domain in domains],
            "priority": priority, "tasks": [], "fired_rule_ids": [],
            "ruleset_version": RULESET_VERSION, "age": 40}


def support_request(owner: Team, *, domains: tuple[str, ...] = ("wijkteam",),
                    priority: str = "normaal", reference: str | None = None,
                    **fields: Any) -> SupportRequest:
    """An open request owned by ``owner`` whose decision routes to ``domains``.

    No referrals come with it (add them with ``referral``); ``fields`` set any column, such as
    ``status``, ``coordinator_id``, ``created_at`` or the Wmo dates."""
    values: dict[str, Any] = {
        "channel": "web", "status": "new", "language": "nl", "for_whom": "zelf",
        "life_areas": ["geld"], "description": "Een vraag.", "urgency": priority,
        "status_salt": "salt", "ruleset_version": RULESET_VERSION,
        "decision": decision(domains, priority=priority), **fields}
    return _add(SupportRequest(tenant_id=owner.tenant_id,
                               reference=reference or f"WL-2026-{_next() + 500000:06d}",
                               priority=priority, owner_team_id=owner.id, **values))


def referral(request: SupportRequest, domain: str, target: Team | Partner | None = None, *,
             state: str = "sent", due: dt.date | None = None, **fields: Any) -> Referral:
    """A referral of ``request`` for ``domain`` to ``target`` (a team or a partner; None leaves
    the target empty), due in ten days unless ``due`` says otherwise."""
    values: dict[str, Any] = {"rule_ids": [], "reason": "", "ruleset_version": RULESET_VERSION,
                              **fields}
    return _add(Referral(
        tenant_id=request.tenant_id, request_id=request.id, domain=domain, state=state,
        target_team_id=target.id if isinstance(target, Team) else None,
        target_partner_id=target.id if isinstance(target, Partner) else None,
        due_date=due or dt.date.today() + dt.timedelta(days=10), **values))


def task(request: SupportRequest, kind: str = "crisis", reason: str = "test", *,
         team: Team | None = None, **fields: Any) -> Task:
    """An open task on ``request`` for its owning team (or ``team``)."""
    return _add(Task(tenant_id=request.tenant_id, request_id=request.id,
                     team_id=team.id if team else request.owner_team_id, kind=kind,
                     reason=reason, **fields))


def api_token(of: Tenant, *, partner: Partner | None = None, name: str = "tests") -> str:
    """An API token of ``of`` (a partner's when ``partner`` is given); returns the raw token
    a client sends as ``Authorization: Bearer …``."""
    from app.api import new_token

    raw, hashed = new_token()
    _add(ApiToken(tenant_id=of.id, name=name, token_hash=hashed,
                  partner_id=partner.id if partner else None))
    return raw
