"""Legal deadlines of a request (Wmo 2015), in one place for the request page, the queue,
the cracks report, the API and the digest.

- art. 2.3.2: after a melding, the investigation is done within six weeks;
- art. 2.3.5: after an application (aanvraag), the decision is taken within two weeks.

Both are legal terms counted from the day after the melding or the application, and end as
the Algemene termijnenwet says (:meth:`app.calendar.Calendar.legal_term_end`: not on a
Saturday, Sunday or holiday, and holding at least two days that are none of these). The
melding clock runs for requests routed to Wmo support and for requests with an application;
a clock stops when staff record the step as done, or when the request is closed.

Waiting for the resident's answer to a question suspends the running clocks (Awb 4:15): the
days waited are added to the term. While a wait lasts, a clock's due date moves on with
every day waited, so its days left stand still.

**One definition, two readers.** :func:`clock_of` is the definition. The queue filters and
sorts in SQL on two stored columns it fills: ``legal_due_on``, the earliest due date of
the running clocks without the wait that lasts now, and ``legal_paused_on``, the Dutch day
that wait began. They are written on every insert and update of a request (a mapper event,
so no service can forget them), and the queue adds the current wait in SQL exactly as
:func:`deadlines` does in Python (:func:`effective_due`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from app.calendar import LOCAL, NATIONAL, local_date
from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _
from app.lifecycle import REQUEST_CLOSED
from app.models import SupportRequest, User, utcnow
from app.services import audit
from app.services.errors import Conflict, InvalidInput
from app.services.request_states import ensure_open

WMO_INVESTIGATION = dt.timedelta(weeks=6)
WMO_DECISION = dt.timedelta(weeks=2)

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


@dataclass(frozen=True)
class ClockFacts:
    """What the clocks of one request depend on, as plain values."""

    melding_on: dt.date
    routed_to_wmo: bool
    application_on: dt.date | None
    investigation_done_on: dt.date | None
    decision_on: dt.date | None
    paused_days: int
    paused_on: dt.date | None  # the Dutch day the current wait began; None: not waiting
    closed: bool


@dataclass(frozen=True)
class Clock:
    """The stored form of a request's clocks (see the module docstring)."""

    due_on: dt.date | None  # earliest due of the running clocks, without the current wait
    paused_on: dt.date | None


def to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in the Netherlands as stored: naive UTC."""
    return local.replace(tzinfo=LOCAL).astimezone(dt.UTC).replace(tzinfo=None)


def melding_date(request: SupportRequest) -> dt.date:
    """The day the melding came in, in Dutch time (created_at is stored in UTC)."""
    return local_date(request.created_at)


def routes_include_wmo(decision: dict[str, Any] | None) -> bool:
    return any(route.get("domain") == "wmo" for route in (decision or {}).get("routes", []))


def routed_to_wmo(request: SupportRequest) -> bool:
    return routes_include_wmo(request.decision)


def pause_began(request: SupportRequest) -> dt.date | None:
    """The Dutch day the current wait for the resident began (None: not waiting)."""
    return None if request.waiting_since is None else local_date(request.waiting_since)


def days_waited(paused_on: dt.date | None, today: dt.date) -> int:
    """Whole days the current wait has lasted on ``today`` (0 when not waiting)."""
    return 0 if paused_on is None else max((today - paused_on).days, 0)


def facts_of(request: SupportRequest) -> ClockFacts:
    return ClockFacts(
        melding_on=melding_date(request), routed_to_wmo=routed_to_wmo(request),
        application_on=request.wmo_application_on,
        investigation_done_on=request.wmo_investigation_done_on,
        decision_on=request.wmo_decision_on, paused_days=request.paused_days or 0,
        paused_on=pause_began(request), closed=request.status == REQUEST_CLOSED)


def _clocks(facts: ClockFacts, waited: int) -> list[LegalDeadline]:
    """Every clock, running or stopped; a running one suspended for the days paused."""
    found: list[LegalDeadline] = []
    suspended = dt.timedelta(days=facts.paused_days)

    def due(start: dt.date, term: dt.timedelta, done: dt.date | None) -> dt.date:
        if done is not None:
            return NATIONAL.legal_term_end(start, term)
        return NATIONAL.legal_term_end(start, term + suspended) + dt.timedelta(days=waited)

    if facts.routed_to_wmo or facts.application_on is not None:
        done = facts.investigation_done_on
        found.append(LegalDeadline("wmo_investigation", facts.melding_on,
                                   due(facts.melding_on, WMO_INVESTIGATION, done), done))
    if facts.application_on is not None:
        done = facts.decision_on
        found.append(LegalDeadline("wmo_decision", facts.application_on,
                                   due(facts.application_on, WMO_DECISION, done), done))
    return found


def clock_of(facts: ClockFacts) -> Clock:
    """The stored clock: the earliest running due date without the current wait."""
    if facts.closed:
        return Clock(None, facts.paused_on)
    running_dues = [deadline.due for deadline in _clocks(facts, 0) if deadline.done is None]
    return Clock(min(running_dues, default=None), facts.paused_on)


def effective_due(clock: Clock, today: dt.date) -> dt.date | None:
    """The due date the queue shows on ``today`` (the SQL in app/services/queue/sql.py says the
    same): the stored due date moved on by the days of the current wait."""
    if clock.due_on is None:
        return None
    return clock.due_on + dt.timedelta(days=days_waited(clock.paused_on, today))


def deadlines(request: SupportRequest, today: dt.date | None = None) -> list[LegalDeadline]:
    """The request's legal clocks, running or stopped."""
    return clocks_of(facts_of(request), today or local_today())


def clocks_of(facts: ClockFacts, today: dt.date) -> list[LegalDeadline]:
    """The clocks of a request given as plain facts, running or stopped, as :func:`deadlines`
    gives them on ``today`` (the figures read many requests without loading them)."""
    return _clocks(facts, days_waited(facts.paused_on, today))


def running(request: SupportRequest, today: dt.date | None = None) -> list[LegalDeadline]:
    """The clocks still running: not done, request not closed."""
    if request.status == REQUEST_CLOSED:
        return []
    return [deadline for deadline in deadlines(request, today) if deadline.done is None]


def overdue(request: SupportRequest, today: dt.date) -> list[LegalDeadline]:
    return [deadline for deadline in running(request, today) if deadline.overdue(today)]


def next_due(request: SupportRequest, today: dt.date | None = None) -> LegalDeadline | None:
    """The running clock that ends first (for the queue)."""
    return min(running(request, today), key=lambda deadline: deadline.due, default=None)


def keep_clock(request: SupportRequest) -> None:
    """Write the stored clock columns from the request's facts."""
    if request.created_at is None:
        request.created_at = utcnow()
    clock = clock_of(facts_of(request))
    request.legal_due_on, request.legal_paused_on = clock.due_on, clock.paused_on


@event.listens_for(SupportRequest, "before_insert")
@event.listens_for(SupportRequest, "before_update")
def _keep_clock(_mapper: Any, _connection: Any, request: SupportRequest) -> None:
    keep_clock(request)


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
    ensure_open(request)
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


__all__ = ["LOCAL", "Clock", "ClockFacts", "LegalDeadline", "STEPS", "clock_of", "clocks_of",
           "days_waited", "deadlines", "effective_due", "facts_of", "keep_clock", "local_today",
           "melding_date", "next_due", "overdue", "pause_began", "record_step", "running",
           "to_utc"]
