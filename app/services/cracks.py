"""The "cracks" report: every place where the invariants of DESIGN.md are not met right now.

Each finding names the tenant, the object and why it is a crack, so a team lead can act on
it. The same report feeds the CLI (``flask --app wsgi cracks``) and the team lead's page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.lifecycle import LIVE_STATES
from app.models import OutboxMessage, Referral, SupportRequest, Team, Tenant
from app.services import legal
from app.workdays import add_working_days

KINDS = ("request_without_owner", "request_stranded", "referral_overdue", "dead_letter",
         "task_unassigned", "legal_deadline_passed")


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
    today = today or dt.date.today()
    tenants = [tenant] if tenant else list(db.session.scalars(select(Tenant).order_by(Tenant.id)))
    report = CracksReport()
    for current in tenants:
        _for_tenant(current, today, report)
    return report


def _for_tenant(tenant: Tenant, today: dt.date, report: CracksReport) -> None:
    slug = tenant.slug
    teams = {team.id for team in db.session.scalars(select(Team).where(
        Team.tenant_id == tenant.id))}
    open_requests = db.session.scalars(select(SupportRequest).where(
        SupportRequest.tenant_id == tenant.id, SupportRequest.status != "closed")
        .order_by(SupportRequest.id)).all()
    for request in open_requests:
        owner = request.owner_team_id if request.owner_team_id in teams else None
        if owner is None:
            report.cracks.append(Crack("request_without_owner", slug, None, "support_request",
                                       request.id, request.reference,
                                       "no owning team of this municipality"))
        live = any(r.state in LIVE_STATES for r in request.referrals)
        open_tasks = [t for t in request.tasks if t.state == "open"]
        if request.coordinator_id is None and not live and not open_tasks and \
                request.status == "in_progress":
            report.cracks.append(Crack("request_stranded", slug, owner, "support_request",
                                       request.id, request.reference,
                                       "in progress without coordinator, referral or task"))
        for deadline in legal.overdue(request, today):
            report.cracks.append(Crack("legal_deadline_passed", slug, owner, "support_request",
                                       request.id, request.reference,
                                       f"{deadline.kind} was due {deadline.due.isoformat()}"))
        if request.coordinator_id is None:
            for task in open_tasks:
                if today > add_working_days(task.created_at.date(), 1):
                    report.cracks.append(Crack(
                        "task_unassigned", slug, task.team_id, "task", task.id,
                        request.reference,
                        f"{task.kind} open since {task.created_at.date().isoformat()}, "
                        "nobody picked the request up"))
    overdue = db.session.scalars(select(Referral).where(
        Referral.tenant_id == tenant.id, Referral.state == "sent", Referral.due_date < today)
        .order_by(Referral.due_date)).all()
    for referral in overdue:
        report.cracks.append(Crack("referral_overdue", slug, referral.request.owner_team_id,
                                   "referral", referral.id, referral.request.reference,
                                   f"{referral.target_name} had to answer by "
                                   f"{referral.due_date.isoformat()}"))
    dead = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.tenant_id == tenant.id, OutboxMessage.state == "dead")).all()
    for message in dead:
        report.cracks.append(Crack("dead_letter", slug, None, "outbox_message", message.id, None,
                                   f"{message.channel} {message.event} to {message.recipient}: "
                                   f"{message.last_error or 'failed'}"))


__all__ = ["Crack", "CracksReport", "find_cracks"]
