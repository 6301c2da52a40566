"""Legal deadlines of a request (Wmo 2015), in one place for the request page, the queue,
the cracks report and the digest.

Waiting for the resident's answer to a question pauses the running clocks (Awb 4:15).

- art. 2.3.2: after a melding, the investigation is done within six weeks;
- art. 2.3.5: after an application (aanvraag), the decision is taken within two weeks.

Both are calendar periods, counted from the day after the melding or the application. The
melding clock runs for requests routed to Wmo support and for requests with an application;
a clock stops when staff record the step as done, or when the request is closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.extensions import db
from app.i18n import _
from app.models import SupportRequest, User
from app.services import audit
from app.services.errors import Conflict, InvalidInput

WMO_INVESTIGATION = dt.timedelta(weeks=6)
WMO_DECISION = dt.timedelta(weeks=2)
LOCAL = ZoneInfo("Europe/Amsterdam")

#: Steps staff can record, and the request field each fills.
STEPS = {
    "investigation_done": "wmo_investigation_done_on",
    "application_received": "wmo_application_on",
    "decision_taken": "wmo_decision_on",
}


@dataclass(frozen=True)
class LegalDeadline:
    kind: str  # wmo_investigation, wmo_decision
    started: dt.date
    due: dt.date
    done: dt.date | None

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days

    def overdue(self, today: dt.date) -> bool:
        return self.done is None and today > self.due


def local_today() -> dt.date:
    """Today in the Netherlands."""
    return dt.datetime.now(LOCAL).date()


def to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in the Netherlands as stored: naive UTC."""
    return local.replace(tzinfo=LOCAL).astimezone(dt.UTC).replace(tzinfo=None)


def melding_date(request: SupportRequest) -> dt.date:
    """The day the melding came in, in Dutch time (created_at is stored in UTC)."""
    return request.created_at.replace(tzinfo=dt.UTC).astimezone(LOCAL).date()


def routed_to_wmo(request: SupportRequest) -> bool:
    return any(route.get("domain") == "wmo" for route in (request.decision or {}).get(
        "routes", []))


def paused(request: SupportRequest) -> dt.timedelta:
    """How long the clocks stood still while the team waited for the resident's answer.

    A pause moves every clock that is still running (a simplification: a clock started
    during or after a pause is moved too)."""
    days = request.paused_days or 0
    if request.waiting_since is not None:
        waiting_from = request.waiting_since.replace(tzinfo=dt.UTC).astimezone(LOCAL).date()
        days += max((local_today() - waiting_from).days, 0)
    return dt.timedelta(days=days)


def deadlines(request: SupportRequest) -> list[LegalDeadline]:
    """The request's legal clocks, running or stopped."""
    found: list[LegalDeadline] = []
    pause = paused(request)
    if routed_to_wmo(request) or request.wmo_application_on is not None:
        start = melding_date(request)
        done = request.wmo_investigation_done_on
        found.append(LegalDeadline("wmo_investigation", start,
                                   start + WMO_INVESTIGATION + (pause if done is None else
                                                                dt.timedelta()), done))
    if request.wmo_application_on is not None:
        start = request.wmo_application_on
        done = request.wmo_decision_on
        found.append(LegalDeadline("wmo_decision", start,
                                   start + WMO_DECISION + (pause if done is None else
                                                           dt.timedelta()), done))
    return found


def running(request: SupportRequest) -> list[LegalDeadline]:
    """The clocks still running: not done, request not closed."""
    if request.status == "closed":
        return []
    return [deadline for deadline in deadlines(request) if deadline.done is None]


def overdue(request: SupportRequest, today: dt.date) -> list[LegalDeadline]:
    return [deadline for deadline in running(request) if deadline.overdue(today)]


def next_due(request: SupportRequest) -> LegalDeadline | None:
    """The running clock that ends first (for the queue)."""
    return min(running(request), key=lambda deadline: deadline.due, default=None)


def record_step(user: User, request: SupportRequest, step: str, day: dt.date,
                today: dt.date | None = None) -> None:
    """Staff record a Wmo step with its date; the caller has checked the user owns it."""
    today = today or local_today()
    if step not in STEPS:
        raise InvalidInput(_("Choose a step."), "step")
    if day > today:
        raise InvalidInput(_("The date cannot be in the future."), "day")
    if day < melding_date(request):
        raise InvalidInput(_("The date cannot be before the request came in."), "day")
    if request.status == "closed":
        raise Conflict(_("This request is closed."))
    if step == "decision_taken":
        if request.wmo_application_on is None:
            raise InvalidInput(_("Record the application first."), "step")
        if day < request.wmo_application_on:
            raise InvalidInput(_("The decision cannot be before the application."), "day")
    if step == "application_received" and request.wmo_decision_on is not None:
        raise Conflict(_("The decision on this application is already recorded."))
    setattr(request, STEPS[step], day)
    audit.record(f"request.wmo_{step}", tenant_id=request.tenant_id,
                 object_type="support_request", object_id=request.id, actor=user,
                 day=day.isoformat())
    db.session.commit()


__all__ = ["LegalDeadline", "STEPS", "deadlines", "melding_date", "next_due", "overdue",
           "local_today", "record_step", "running", "to_utc"]
