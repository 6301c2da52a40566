"""Deadlines of referrals, checked by the worker (DESIGN.md: nobody falls through the cracks).

For a referral still waiting for an answer (state ``sent``):
1. on its due date, the receiver gets a reminder;
2. one working day later, the owning team's leads get an alert;
3. ``REFERRAL_EXPIRY_GRACE_DAYS`` working days after the due date it expires and goes back
   to the owning team as a task.
Residents who did not answer a team's question in time get one reminder, and the team a task
(app.services.resident_questions). Referrals held because nobody had room go as soon as a
contracted partner has room again (app.services.capacity).
Each step happens once (a timestamp on the referral), in its own transaction, and rows are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so workers side by side never repeat one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.calendar import today as local_today
from app.extensions import db
from app.messaging.in_app import notifications
from app.messaging.outgoing import notices
from app.models import Referral, Tenant, utcnow
from app.services import audit, capacity, resident_questions
from app.services.calendars import calendar_for
from app.services.referrals import expire

log = logging.getLogger("wijkloket.scheduler")


@dataclass
class SchedulerResult:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0
    residents_reminded: int = 0
    released: int = 0


def _due(today: dt.date) -> list[int]:
    rows = db.session.scalars(
        select(Referral.id).where(Referral.state == "sent", Referral.due_date <= today)
        .order_by(Referral.due_date, Referral.id).limit(500)
    )
    return list(rows)


def _locked(referral_id: int) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id, Referral.state == "sent")
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _leads(referral: Referral) -> list[str]:
    team = referral.request.owner_team
    leads = notifications.team_members(team.id, leads_only=True)
    return [lead.email for lead in leads] or ([team.email] if team.email else [])


def run_due(today: dt.date | None = None) -> SchedulerResult:
    """Take every due step for every waiting referral; returns what was done."""
    today = today or local_today()
    grace = current_app.config["REFERRAL_EXPIRY_GRACE_DAYS"]
    result = SchedulerResult()
    for referral_id in _due(today):
        referral = _locked(referral_id)
        if referral is None:  # another worker has it, or it moved on
            db.session.rollback()
            continue
        tenant = db.session.get(Tenant, referral.tenant_id)
        assert tenant is not None
        request = referral.request
        calendar = calendar_for(tenant)
        if today >= calendar.add_working_days(referral.due_date, grace):
            expire(referral)
            result.expired += 1
        else:
            if referral.reminded_at is None:
                notices.referral_reminder(tenant, request, referral)
                referral.reminded_at = utcnow()
                audit.record("referral.reminded", tenant_id=tenant.id, object_type="referral",
                             object_id=referral.id, actor_label="scheduler")
                result.reminded += 1
            if referral.escalated_at is None and today >= calendar.add_working_days(
                    referral.due_date, 1):
                notices.referral_overdue(tenant, request, referral, _leads(referral))
                notifications.notify(
                    notifications.team_members(request.owner_team_id, leads_only=True),
                    request, "referral_overdue", target=referral.target_name)
                referral.escalated_at = utcnow()
                audit.record("referral.escalated", tenant_id=tenant.id, object_type="referral",
                             object_id=referral.id, actor_label="scheduler")
                result.escalated += 1
        db.session.commit()
    result.residents_reminded = resident_questions.remind_waiting(today)
    result.released = capacity.release_due(today)
    if (result.reminded or result.escalated or result.expired or result.residents_reminded
            or result.released):
        log.info("scheduler: %s", result)
    return result
