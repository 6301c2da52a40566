"""The "cracks" report: every place where the invariants of DESIGN.md are not met right now.

Each finding names the tenant, the object and why it is a crack, so a team lead can act on
it. The same report feeds the CLI (``flask --app wsgi cracks``) and the team lead's page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.calendar import Calendar
from app.calendar import today as local_today
from app.extensions import db
from app.lifecycle import LIVE_STATES, REQUEST_CLOSED, REQUEST_IN_PROGRESS, TASK_OPEN
from app.models import OutboxMessage, Referral, SupportRequest, Task, Team, Tenant, User
from app.services import legal
from app.services.calendars import calendar_for

KINDS = ("request_without_owner", "request_stranded", "coordinator_gone", "referral_overdue",
         "dead_letter", "task_unassigned", "legal_deadline_passed", "rights_request_overdue")


@dataclass(frozen=True)
class Crack:
    kind: str
    tenant: str
    team_id: int | None
    object_type: str
    object_id: int
    reference: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "tenant": self.tenant, "team_id": self.team_id,
                "object_type": self.object_type, "object_id": self.object_id,
                "reference": self.reference, "detail": self.detail}


@dataclass
class CracksReport:
    cracks: list[Crack] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.cracks

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for c in self.cracks if c.kind == kind) for kind in KINDS}

    def for_team(self, team_id: int) -> list[Crack]:
        return [crack for crack in self.cracks if crack.team_id == team_id]


def find_cracks(tenant: Tenant | None = None, today: dt.date | None = None) -> CracksReport:
    today = today or local_today()
    tenants = [tenant] if tenant else list(db.session.scalars(select(Tenant).order_by(Tenant.id)))
    report = CracksReport()
    for current in tenants:
        _for_tenant(current, today, report)
    return report


def _last_day_waited_too_long(today: dt.date, calendar: Calendar) -> dt.date:
    """The latest creation day of a task that, today, has waited more than a working day."""
    day = today - dt.timedelta(days=1)
    while not today > calendar.add_working_days(day, 1):
        day -= dt.timedelta(days=1)
    return day


def _for_tenant(tenant: Tenant, today: dt.date, report: CracksReport) -> None:
    """Each kind of crack is one set-based query, so the report stays quick on a large
    municipality (no per-request loading)."""
    slug = tenant.slug
    teams = select(Team.id).where(Team.tenant_id == tenant.id)
    open_request = (SupportRequest.tenant_id == tenant.id, SupportRequest.status != REQUEST_CLOSED)

    def owner(team_id: int | None, known: set[int]) -> int | None:
        return team_id if team_id in known else None

    known = set(db.session.scalars(teams))
    for request_id, reference in db.session.execute(select(
            SupportRequest.id, SupportRequest.reference).where(
            *open_request, SupportRequest.owner_team_id.not_in(teams))
            .order_by(SupportRequest.id)):
        report.cracks.append(Crack("request_without_owner", slug, None, "support_request",
                                   request_id, reference, "no owning team of this municipality"))

    live_referral = select(Referral.id).where(Referral.request_id == SupportRequest.id,
                                              Referral.state.in_(LIVE_STATES)).exists()
    open_task = select(Task.id).where(Task.request_id == SupportRequest.id,
                                      Task.state == TASK_OPEN).exists()
    for request_id, reference, team_id in db.session.execute(select(
            SupportRequest.id, SupportRequest.reference, SupportRequest.owner_team_id).where(
            *open_request, SupportRequest.status == REQUEST_IN_PROGRESS,
            SupportRequest.coordinator_id.is_(None), ~live_referral, ~open_task)
            .order_by(SupportRequest.id)):
        report.cracks.append(Crack("request_stranded", slug, owner(team_id, known),
                                   "support_request", request_id, reference,
                                   "in progress without coordinator, referral or task"))

    # A coordinator whose account was closed, or who moved to another team, no longer sees
    # the request in their queue: nobody works on it, while it looks picked up.
    for request_id, reference, team_id, active in db.session.execute(select(
            SupportRequest.id, SupportRequest.reference, SupportRequest.owner_team_id,
            User.active).join(User, User.id == SupportRequest.coordinator_id).where(
            *open_request, or_(User.active.is_(False),
                               User.team_id.is_(None),
                               User.team_id != SupportRequest.owner_team_id))
            .order_by(SupportRequest.id)):
        report.cracks.append(Crack("coordinator_gone", slug, owner(team_id, known),
                                   "support_request", request_id, reference,
                                   "the coordinator's account is closed" if not active else
                                   "the coordinator is no longer in the owning team"))

    # Legal clocks: only requests whose stored clock has run out are looked at (a wait for
    # the resident can hold it still; legal.overdue decides).
    candidates = db.session.scalars(select(SupportRequest).where(
        *open_request, SupportRequest.legal_due_on < today)
        .order_by(SupportRequest.id)).all()
    for request in candidates:
        for deadline in legal.overdue(request, today):
            report.cracks.append(Crack("legal_deadline_passed", slug,
                                       owner(request.owner_team_id, known), "support_request",
                                       request.id, request.reference,
                                       f"{deadline.kind} was due {deadline.due.isoformat()}"))

    # A resident's request about their data, with its own legal month (open or closed
    # request alike: the data is there either way).
    for task_id, team_id, kind, due_on, reference in db.session.execute(select(
            Task.id, Task.team_id, Task.kind, Task.due_on, SupportRequest.reference)
            .join(SupportRequest, SupportRequest.id == Task.request_id).where(
            SupportRequest.tenant_id == tenant.id, Task.state == TASK_OPEN,
            Task.due_on < today).order_by(Task.due_on, Task.id)):
        report.cracks.append(Crack("rights_request_overdue", slug, owner(team_id, known),
                                   "task", task_id, reference,
                                   f"{kind} was due {due_on}"))

    waited_since = dt.datetime.combine(_last_day_waited_too_long(today, calendar_for(tenant))
                                         + dt.timedelta(days=1),
                                       dt.time())
    for task_id, team_id, kind, created_at, reference in db.session.execute(select(
            Task.id, Task.team_id, Task.kind, Task.created_at, SupportRequest.reference)
            .join(SupportRequest, SupportRequest.id == Task.request_id).where(
            *open_request, Task.state == TASK_OPEN, Task.created_at < waited_since,
            SupportRequest.coordinator_id.is_(None)).order_by(Task.id)):
        report.cracks.append(Crack(
            "task_unassigned", slug, team_id, "task", task_id, reference,
            f"{kind} open since {created_at.date().isoformat()}, nobody picked the request up"))

    overdue = db.session.execute(select(Referral, SupportRequest.reference,
                                        SupportRequest.owner_team_id)
                                 .join(SupportRequest, SupportRequest.id == Referral.request_id)
                                 .options(selectinload(Referral.target_partner),
                                          selectinload(Referral.target_team))
                                 .where(Referral.tenant_id == tenant.id, Referral.state == "sent",
                                        Referral.due_date < today)
                                 .order_by(Referral.due_date, Referral.id)).all()
    for referral, reference, team_id in overdue:
        report.cracks.append(Crack("referral_overdue", slug, team_id, "referral", referral.id,
                                   reference, f"{referral.target_name} had to answer by "
                                              f"{referral.due_date.isoformat()}"))
    dead = db.session.execute(select(
        OutboxMessage.id, OutboxMessage.channel, OutboxMessage.event, OutboxMessage.recipient,
        OutboxMessage.last_error).where(OutboxMessage.tenant_id == tenant.id,
                                        OutboxMessage.state == "dead").order_by(OutboxMessage.id))
    for message_id, channel, event, recipient, error in dead:
        report.cracks.append(Crack("dead_letter", slug, None, "outbox_message", message_id, None,
                                   f"{channel} {event} to {recipient}: {error or 'failed'}"))


__all__ = ["Crack", "CracksReport", "find_cracks"]
