"""The access log in the spirit of NEN 7513: who looked at whose personal data, when, and
why when the viewer is not in the owning team. Entries are audit events; the app only ever
inserts them, and no screen or API can change or delete one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.calendar import local_date
from app.extensions import db
from app.models import AuditEvent, Partner, Referral, SupportRequest, Team, Tenant, User
from app.services import audit

PAGE_SIZE = 200


def request_viewed(user: User, request: SupportRequest, *, what: str = "request",
                   reason: str | None = None) -> None:
    """Log that ``user`` saw the request's personal data (the caller commits)."""
    outside = user.team_id != request.owner_team_id
    if outside and reason is None and user.team_id is not None:
        if request.transfer_team_id == user.team_id:
            reason = "handover to the viewer's team"
        elif any(r.target_team_id == user.team_id for r in request.referrals):
            reason = "referral to the viewer's team"
    audit.record("request.viewed", tenant_id=request.tenant_id, object_type="support_request",
                 object_id=request.id, actor=user, reason=reason, what=what,
                 outside_owning_team=outside)


def referral_viewed(user: User, referral: Referral) -> None:
    """A receiver (partner or team) opened a referral, with the resident's shared details."""
    audit.record("referral.viewed", tenant_id=referral.tenant_id, object_type="referral",
                 object_id=referral.id, actor=user, reason="referral received",
                 request_id=referral.request_id)


def access_refused(user: User, endpoint: str | None, view_args: dict[str, Any]) -> None:
    """Log and commit that ``user`` (a role that sees aggregates only) was refused a page.

    A page about one request or referral (its reference or id in the address, of the user's
    own tenant) is logged on that request or referral, so its access log shows the attempt
    too; any other page as a route. The reference of another tenant is not looked up further.
    """
    object_type, object_id = "route", None
    reference = view_args.get("reference")
    referral_id = view_args.get("referral_id")
    if isinstance(reference, str):
        object_type = "support_request"
        object_id = db.session.scalar(select(SupportRequest.id).where(
            SupportRequest.tenant_id == user.tenant_id,
            SupportRequest.reference == reference.strip().upper()))
    elif isinstance(referral_id, int):
        object_type = "referral"
        object_id = db.session.scalar(select(Referral.id).where(
            Referral.tenant_id == user.tenant_id, Referral.id == referral_id))
    audit.record("access.refused", tenant_id=user.tenant_id, object_type=object_type,
                 object_id=object_id, actor=user, reason="role sees aggregates only",
                 endpoint=endpoint, role=user.role)
    db.session.commit()


@dataclass(frozen=True)
class AccessEntry:
    at: dt.datetime
    actor: str
    actor_id: int | None
    action: str
    reference: str | None
    reason: str | None
    outside: bool


def query(tenant_id: int, *, reference: str | None = None, user_id: int | None = None,
          team_id: int | None = None, before_id: int | None = None
          ) -> tuple[list[AccessEntry], int | None]:
    """Views and changes of requests, newest first, one page at a time (keyset on id).

    ``team_id`` limits to requests that team owns (a team lead's view); returns the entries
    and the id to pass as ``before_id`` for the next page, or None at the end.
    """
    requests = select(SupportRequest.id).where(SupportRequest.tenant_id == tenant_id)
    if reference:
        requests = requests.where(SupportRequest.reference == reference.strip().upper())
    if team_id is not None:
        requests = requests.where(SupportRequest.owner_team_id == team_id)
    referrals = select(Referral.id).where(Referral.request_id.in_(requests))
    conditions = [
        AuditEvent.tenant_id == tenant_id,
        ((AuditEvent.object_type == "support_request") & AuditEvent.object_id.in_(requests))
        | ((AuditEvent.object_type == "referral") & AuditEvent.object_id.in_(referrals)),
    ]
    if user_id is not None:
        conditions.append(AuditEvent.actor_id == user_id)
    if before_id is not None:
        conditions.append(AuditEvent.id < before_id)
    events = db.session.scalars(select(AuditEvent).where(*conditions)
                                .order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    request_ids = {e.object_id for e in events if e.object_type == "support_request"}
    referral_ids = {e.object_id for e in events if e.object_type == "referral"}
    # Keyed by nullable ids, so an event's empty column simply finds nothing.
    by_referral: dict[int | None, int] = dict(db.session.execute(
        select(Referral.id, Referral.request_id).where(Referral.id.in_(referral_ids))).all())
    references: dict[int | None, str] = dict(db.session.execute(
        select(SupportRequest.id, SupportRequest.reference).where(
            SupportRequest.id.in_(request_ids | set(by_referral.values())))).all())
    names: dict[int | None, str] = dict(db.session.execute(select(User.id, User.name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id is not None}))).all())
    entries = []
    for event in events:
        request_id = event.object_id if event.object_type == "support_request" else \
            by_referral.get(event.object_id)
        entries.append(AccessEntry(
            at=event.created_at, actor=names.get(event.actor_id, event.actor_label),
            actor_id=event.actor_id, action=event.action,
            reference=references.get(request_id), reason=event.reason,
            outside=bool((event.details or {}).get("outside_owning_team"))))
    return entries, (events[-1].id if more else None)


#: What the resident's overview says a staff member or partner did: looked, changed, refused.
LOOKED, CHANGED, REFUSED = "looked", "changed", "refused"
_VIEWS = frozenset({"request.viewed", "referral.viewed", "request.bsn_revealed"})
#: The most lines the overview shows (newest first).
OVERVIEW_LINES = 100


@dataclass(frozen=True)
class OverviewLine:
    """One line of the resident's access overview: on which day someone of which role and
    organisation looked at, changed or was refused the request. Never a person's name."""

    day: dt.date
    role: str
    organisation: str
    what: str


def overview(request: SupportRequest) -> list[OverviewLine]:
    """Which organisations and roles looked at or changed ``request`` (and its referrals),
    and on which days, newest first: one line per day, organisation, role and kind of
    access (AVG art. 15: the recipients of the resident's data). The resident's own steps
    and the system's are left out; so are staff names."""
    referrals = select(Referral.id).where(Referral.request_id == request.id)
    rows = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.action, User.role, User.team_id,
               User.partner_id)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.tenant_id == request.tenant_id,
               ((AuditEvent.object_type == "support_request")
                & (AuditEvent.object_id == request.id))
               | ((AuditEvent.object_type == "referral")
                  & AuditEvent.object_id.in_(referrals)))
        .order_by(AuditEvent.id.desc())).all()
    teams = dict(db.session.execute(select(Team.id, Team.name).where(
        Team.id.in_({row.team_id for row in rows if row.team_id is not None}))).all())
    partners = dict(db.session.execute(select(Partner.id, Partner.name).where(
        Partner.id.in_({row.partner_id for row in rows if row.partner_id is not None}))).all())
    municipality = db.session.scalar(select(Tenant.name).where(
        Tenant.id == request.tenant_id)) or ""
    lines: list[OverviewLine] = []
    seen: set[OverviewLine] = set()
    for row in rows:
        what = LOOKED if row.action in _VIEWS else \
            REFUSED if row.action == "access.refused" else CHANGED
        organisation = (partners.get(row.partner_id) or teams.get(row.team_id)
                        or municipality)
        line = OverviewLine(local_date(row.created_at), row.role, organisation, what)
        if line not in seen:
            seen.add(line)
            lines.append(line)
        if len(lines) == OVERVIEW_LINES:
            break
    return lines


__all__ = ["AccessEntry", "OverviewLine", "access_refused", "overview", "query",
           "referral_viewed", "request_viewed"]
