"""The daily e-mail digest: each staff member hears what of their team waits too long.

Once per working day, from ``DIGEST_HOUR`` (Dutch time), the worker sends every active staff
member and team lead who wants it a list of their team's cracks (app.services.cracks):
overdue referrals, legal deadlines passed, tasks nobody picked up. A team with nothing
overdue gets no mail. The run for a tenant and a day is claimed by inserting a
``ScheduledRun`` row in the same transaction as the mails, so it happens exactly once even
with several workers. Like every notice, the mail holds references only, no personal data.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.calendar import NATIONAL
from app.extensions import db
from app.i18n import force_locale, ngettext
from app.messaging.outgoing.notices import mail, portal_url
from app.models import ScheduledRun, Team, Tenant, User
from app.roles import TEAM_ROLES
from app.services import cracks
from app.services.calendars import calendar_for
from app.services.legal import LOCAL

log = logging.getLogger("wijkloket.digest")


def _due_today(now: dt.datetime) -> dt.date | None:
    local = now.astimezone(LOCAL)
    if local.hour < current_app.config["DIGEST_HOUR"] or not NATIONAL.is_working_day(local.date()):
        return None
    return local.date()


def send_digests(now: dt.datetime | None = None) -> int:
    """Send today's digests where they are due and not yet sent; returns how many."""
    today = _due_today(now or dt.datetime.now(dt.UTC))
    if today is None:
        return 0
    sent = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        if not calendar_for(tenant).is_working_day(today):
            continue  # the municipality's own closing day
        run = f"digest:{tenant.id}:{today.isoformat()}"
        if db.session.get(ScheduledRun, run) is not None:
            continue
        try:
            db.session.add(ScheduledRun(name=run))
            db.session.flush()  # claims the run; a second worker waits here, then fails
            sent += _for_tenant(tenant, today)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another worker sent this tenant's digest
    if sent:
        log.info("digest: %d mails", sent)
    return sent


def _for_tenant(tenant: Tenant, today: dt.date) -> int:
    report = cracks.find_cracks(tenant, today)
    readers = db.session.scalars(
        select(User).where(User.tenant_id == tenant.id, User.role.in_(TEAM_ROLES),
                           User.active.is_(True), User.wants_digest.is_(True),
                           User.team_id.is_not(None))
        .order_by(User.id)).all()
    sent = 0
    for reader in readers:
        assert reader.team_id is not None
        items = report.for_team(reader.team_id)
        if not items:
            continue
        team = db.session.get(Team, reader.team_id)
        assert team is not None
        with force_locale("nl"):
            mail(tenant, reader.email, "staff.digest", f"digest-{reader.id}-{today.isoformat()}",
                 ngettext("%(team)s: %(num)d item waits too long",
                          "%(team)s: %(num)d items wait too long", len(items), team=team.name),
                 "mail/staff_digest.txt", reader=reader, team=team, items=items, day=today,
                 request_link=lambda reference: portal_url(f"/staff/requests/{reference}"),
                 link=portal_url("/staff/notifications"))
        sent += 1
    return sent


__all__ = ["send_digests"]
