"""Punctuality, as every municipality is held to it: were referrals answered and legal terms
met on time, late, or more than three times late? Per team, partner and domain, for a period
of Dutch days.

**Referral responses.** A referral belongs to the period it was *sent* in (``sent_at``, its
Dutch day). Its response is the receiver's first accept or decline (``answered_at``). It is

* *on time* when the Dutch day of the answer is on or before its ``due_date``;
* *late* when it is after it, and also when no answer came and the due date has passed: as
  of today while it waits, as of the day it ended while unanswered (expired, or withdrawn
  after the due date);
* *more than three times late* (a part of *late*) when the response took more than three
  times the working days it was allowed: allowed = working days from the day sent to the due
  date, taken = working days from the day sent to the answer (or to the day counted above),
  on the municipality's calendar (:func:`app.services.calendars.calendar_for`);
* *open* while it waits and the due date has not passed. A referral withdrawn before its due
  date without an answer owed none and is not counted.

**Legal terms** (Wmo 2015: the investigation six weeks after the melding, the decision two
weeks after the application; :mod:`app.services.legal` defines them and is the only thing
that computes them here). A term belongs to the period its due date falls in; it ends when
staff record the step, or when the request is closed (the clock stops, as
:mod:`app.services.legal` says). On time, late and more than three times late as above, in
calendar days (the law counts days, not working days), counted per owning team. The days
waited for the resident move a running term; once the step is recorded, the legal module
gives the term without them (the waits are not dated), and so do these counts.

**Fast on a million requests.** Both counts are one GROUP BY each in the database: the
referrals of the period through ``ix_referral_sent`` (tenant, sent_at; on PostgreSQL an
index-only scan, the other columns included), the requests that may have a term due in the
period through three ranges PostgreSQL combines (``ix_request_created`` for meldingen,
``ix_request_application`` for applications, the small partial ``ix_request_waited`` for the
requests with a wait). What leaves the database is one row per distinct combination of the
facts a rule needs (teams, target, domain, Dutch days), not one per referral or request;
Python then applies the calendar and the legal definition once per combination (the term
ends are cached). On time and open referrals are counted in SQL alone; only late ones carry
their days, to tell three times late apart.

Only references leave this module in the list of late items (:func:`late_items`), for the
team lead of the team concerned; never a resident's details.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.calendar import Calendar, day_start
from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _
from app.models import Partner, Referral, SupportRequest, Team, Tenant, User
from app.roles import ADMIN, TEAM_LEAD
from app.services import audit, legal
from app.services.calendars import calendar_for
from app.services.errors import Forbidden
from app.services.periods import check_period
from app.services.queue.sql import routes_include
from app.vocabulary import LEGAL_DEADLINE_LABELS, label

#: A response or term is "more than three times late" past this many times its allowed time.
VERY_LATE_FACTOR: Final = 3
#: Legal terms: their kinds, as app/services/legal.py names them.
LEGAL_TERMS: Final = ("wmo_investigation", "wmo_decision")
#: How much the Algemene termijnenwet can lengthen a term beyond its weeks (a generous bound,
#: only to narrow the requests read; the definition itself decides).
_ATW_SLACK: Final = dt.timedelta(days=14)

_ON_TIME, _LATE, _OPEN = "on_time", "late", "open"


# ── Results ───────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Tally:
    """How many were on time and late; ``very_late`` (more than three times the allowed
    time) is part of ``late``. ``open``: not due yet and not answered, so neither."""

    on_time: int = 0
    late: int = 0
    very_late: int = 0
    open: int = 0

    @property
    def counted(self) -> int:
        """The ones that were due: on time plus late."""
        return self.on_time + self.late

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.on_time + other.on_time, self.late + other.late,
                     self.very_late + other.very_late, self.open + other.open)


@dataclass(frozen=True)
class Row:
    """One line of a table: a team (``key`` its id), a partner (its id), a domain (its code)
    or a legal term (its kind), with its name and tally."""

    key: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class ReferralPunctuality:
    """Referral responses of the referrals sent in ``first``–``last`` (Dutch days)."""

    first: dt.date
    last: dt.date
    total: Tally
    by_team: tuple[Row, ...]  # the team that was asked to respond
    by_partner: tuple[Row, ...]  # the partner organisation that was asked to respond
    by_domain: tuple[Row, ...]
    by_owner_team: tuple[Row, ...]  # the team that owns the request (and referred it)


@dataclass(frozen=True)
class LegalPunctuality:
    """Legal terms due in ``first``–``last`` (Dutch days)."""

    first: dt.date
    last: dt.date
    total: Tally
    by_term: tuple[Row, ...]
    by_team: tuple[Row, ...]  # the owning team


@dataclass(frozen=True)
class LateItem:
    """One late referral response or legal term, by reference only.

    ``kind`` is ``referral`` or a legal term (:data:`LEGAL_TERMS`); ``partner`` the
    organisation or team asked to respond (None for a legal term); ``answered`` the Dutch day
    of the answer or of the recorded step (None: none came); ``days_late`` counts past ``due``
    up to that day, else to the day it ended without one (expired, withdrawn, the request
    closed) or today, in working days for a referral and calendar days for a legal term."""

    kind: str
    reference: str
    team: str
    partner: str | None
    domain: str
    due: dt.date
    answered: dt.date | None
    days_late: int
    very_late: bool


# ── The Dutch day in SQL ──────────────────────────────────────────────────────────────

class _DutchDay(FunctionElement[dt.date]):
    """The Dutch day of a stored moment (naive UTC), as app.calendar.local_date says."""

    type = Date()
    inherit_cache = True
    name = "dutch_day"


@compiles(_DutchDay, "postgresql")
def _dutch_day_pg(element: _DutchDay, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(timezone('Europe/Amsterdam', timezone('UTC', {moment})) AS DATE)"


@compiles(_DutchDay)
def _dutch_day_sqlite(element: _DutchDay, compiler: Any, **kw: Any) -> str:
    # SQLite knows no time zones: summer time (CEST, UTC+2) runs from the last Sunday of
    # March to the last Sunday of October, 01:00 UTC both (the EU rule since 1996). Whole
    # seconds only: SQLite rounds a fraction to milliseconds, which may cross midnight.
    moment = compiler.process(element.clauses, **kw)
    year = f"strftime('%Y', {moment})"
    summer = (f"{moment} >= datetime({year} || '-03-25', 'weekday 0', '+1 hours') "
              f"AND {moment} < datetime({year} || '-10-25', 'weekday 0', '+1 hours')")
    return (f"date(substr({moment}, 1, 19), "
            f"CASE WHEN {summer} THEN '+2 hours' ELSE '+1 hours' END)")


def dutch_day(moment: Any) -> ColumnElement[dt.date]:
    return _DutchDay(moment)  # type: ignore[return-value]


def _day(value: dt.date | str | None) -> dt.date | None:
    """A date as the database returns it (SQLite gives text for an expression)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


@lru_cache(maxsize=65536)
def _working_days(calendar: Calendar, first: dt.date, last: dt.date) -> int:
    return calendar.working_days_between(first, last)


def _very_late(allowed: int, taken: int) -> bool:
    return taken > VERY_LATE_FACTOR * allowed


# ── Referral responses ────────────────────────────────────────────────────────────────

def _referral_columns(today: dt.date) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(status, the Dutch day the wait for an answer ended or today) of a referral."""
    answered = dutch_day(Referral.answered_at)
    waited_until = func.coalesce(answered, dutch_day(Referral.ended_at),
                                 type_coerce(literal(today, Date), Date))
    status = case(
        (Referral.answered_at.is_not(None),
         case((answered <= Referral.due_date, literal(_ON_TIME)), else_=literal(_LATE))),
        (waited_until > Referral.due_date, literal(_LATE)),
        (Referral.ended_at.is_(None), literal(_OPEN)),
        else_=null())  # withdrawn before the due date: no answer was owed
    return status, waited_until


def _referrals_sent(tenant: Tenant, first: dt.date, last: dt.date) -> ColumnElement[bool]:
    return and_(Referral.tenant_id == tenant.id,
                Referral.sent_at >= day_start(first),
                Referral.sent_at < day_start(last + dt.timedelta(days=1)))


def referral_punctuality(tenant: Tenant, first: dt.date, last: dt.date, *,
                         today: dt.date | None = None) -> ReferralPunctuality:
    """The responses to the referrals ``tenant`` sent from ``first`` to ``last`` (Dutch days,
    both included), as of ``today`` (default: today in the Netherlands). Raises InvalidInput
    for a period that ends before it starts."""
    check_period(first, last)
    today = today or local_today()
    calendar = calendar_for(tenant)
    status, waited_until = _referral_columns(today)
    each = (select(SupportRequest.owner_team_id.label("owner"), Referral.target_team_id,
                   Referral.target_partner_id, Referral.domain, status.label("status"),
                   dutch_day(Referral.sent_at).label("sent"), Referral.due_date,
                   waited_until.label("until"))
            .join(SupportRequest, SupportRequest.id == Referral.request_id)
            .where(_referrals_sent(tenant, first, last)).subquery())
    is_late = each.c.status == _LATE
    keys: list[ColumnElement[Any]] = [
        each.c.owner, each.c.target_team_id, each.c.target_partner_id, each.c.domain,
        each.c.status,
        # Only a late referral's days matter (three times late or not).
        case((is_late, each.c.sent), else_=null()),
        case((is_late, each.c.due_date), else_=null()),
        case((is_late, each.c.until), else_=null()),
    ]
    query = select(*keys, func.count()).group_by(*keys)
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    total = Tally()
    for row in db.session.execute(query):
        owner, team, partner, domain, state, sent, due, until, count = list(row)
        if state is None:
            continue
        if state == _ON_TIME:
            tally = Tally(on_time=count)
        elif state == _OPEN:
            tally = Tally(open=count)
        else:
            sent_on, due_on, until_on = _day(sent), _day(due), _day(until)
            assert sent_on and due_on and until_on
            very = _very_late(_working_days(calendar, sent_on, due_on),
                              _working_days(calendar, sent_on, until_on))
            tally = Tally(late=count, very_late=count if very else 0)
        total += tally
        for key in (("owner", owner), ("team", team), ("partner", partner),
                    ("domain", domain)):
            if key[1] is not None:
                tallies[(key[0], str(key[1]))] += tally
    names = _names(tenant)
    return ReferralPunctuality(
        first=first, last=last, total=total,
        by_team=_rows(tallies, "team", names["team"]),
        by_partner=_rows(tallies, "partner", names["partner"]),
        by_domain=_rows(tallies, "domain", {}),
        by_owner_team=_rows(tallies, "owner", names["team"]))


def _names(tenant: Tenant) -> dict[str, dict[str, str]]:
    teams = db.session.execute(select(Team.id, Team.name).where(Team.tenant_id == tenant.id))
    partners = db.session.execute(select(Partner.id, Partner.name)
                                  .where(Partner.tenant_id == tenant.id))
    return {"team": {str(id_): name for id_, name in teams},
            "partner": {str(id_): name for id_, name in partners}}


def _rows(tallies: dict[tuple[str, str], Tally], dimension: str,
          names: dict[str, str]) -> tuple[Row, ...]:
    found = [Row(key, names.get(key, key), tally)
             for (dim, key), tally in tallies.items() if dim == dimension]
    return tuple(sorted(found, key=lambda row: (row.name.casefold(), row.key)))


# ── Legal terms ───────────────────────────────────────────────────────────────────────

def _legal_facts(tenant: Tenant, first: dt.date, last: dt.date) -> list[ColumnElement[Any]]:
    """The conditions that narrow the requests to those that may have a term due in the
    period (the legal definition then decides which do): a term is due at least its weeks
    after it started and at most those weeks and the Atw's extension later, unless the
    resident was waited for. Three ranges, each read from an index of its own (PostgreSQL
    combines them): meldingen, applications, and the few requests with a wait."""
    request = SupportRequest
    of_tenant = request.tenant_id == tenant.id
    melding = and_(
        of_tenant,
        request.created_at >= day_start(first - legal.WMO_INVESTIGATION - _ATW_SLACK),
        request.created_at < day_start(last - legal.WMO_INVESTIGATION + dt.timedelta(days=1)))
    application = and_(
        of_tenant, request.wmo_application_on.is_not(None),
        request.wmo_application_on >= first - legal.WMO_DECISION - _ATW_SLACK,
        request.wmo_application_on <= last - legal.WMO_DECISION)
    # A constant, not a parameter, so that PostgreSQL matches the partial index at planning.
    waited = and_(of_tenant, or_(request.paused_days > literal_column("0"),
                                 request.waiting_since.is_not(None)))
    return [of_tenant, or_(melding, application, waited)]


_FACT_COLUMNS: Final = (
    dutch_day(SupportRequest.created_at),
    routes_include("wmo"),
    SupportRequest.wmo_application_on,
    SupportRequest.wmo_investigation_done_on,
    SupportRequest.wmo_decision_on,
    SupportRequest.paused_days,
    dutch_day(SupportRequest.waiting_since),
    dutch_day(SupportRequest.closed_at),
)


@dataclass(frozen=True)
class _Term:
    kind: str
    state: str
    due: dt.date
    end: dt.date | None  # the step's day, or the closing day when it closed without it
    stepped: bool  # ended by the recorded step (not by closing)
    days_late: int
    very_late: bool


def _terms(facts: tuple[Any, ...], first: dt.date, last: dt.date,
           today: dt.date) -> list[_Term]:
    """The request's legal terms due in the period, by the one definition."""
    melding_on, wmo, application_on, investigated, decided, paused, waiting, closed = facts
    closed_on = _day(closed)
    clock = legal.ClockFacts(
        melding_on=_day(melding_on) or today, routed_to_wmo=bool(wmo),
        application_on=_day(application_on), investigation_done_on=_day(investigated),
        decision_on=_day(decided), paused_days=paused or 0, paused_on=_day(waiting),
        closed=closed_on is not None)
    found = []
    for deadline in legal.clocks_of(clock, closed_on or today):
        if not first <= deadline.due <= last:
            continue
        end = deadline.done or closed_on
        counted_to = end or today
        if end is None and counted_to <= deadline.due:
            found.append(_Term(deadline.kind, _OPEN, deadline.due, None, False, 0, False))
            continue
        state = _ON_TIME if counted_to <= deadline.due else _LATE
        very = state == _LATE and _very_late((deadline.due - deadline.started).days,
                                             (counted_to - deadline.started).days)
        found.append(_Term(deadline.kind, state, deadline.due, end, deadline.done is not None,
                           max((counted_to - deadline.due).days, 0), very))
    return found


def _tally(term: _Term, count: int) -> Tally:
    if term.state == _ON_TIME:
        return Tally(on_time=count)
    if term.state == _OPEN:
        return Tally(open=count)
    return Tally(late=count, very_late=count if term.very_late else 0)


def legal_punctuality(tenant: Tenant, first: dt.date, last: dt.date, *,
                      today: dt.date | None = None) -> LegalPunctuality:
    """The legal terms of ``tenant``'s requests due from ``first`` to ``last`` (Dutch days,
    both included), per owning team and per term, as of ``today``. Raises InvalidInput for a
    period that ends before it starts."""
    check_period(first, last)
    today = today or local_today()
    query = (select(SupportRequest.owner_team_id, *_FACT_COLUMNS, func.count())
             .where(*_legal_facts(tenant, first, last))
             .group_by(SupportRequest.owner_team_id, *_FACT_COLUMNS))
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    total = Tally()
    for owner, *facts, count in db.session.execute(query):
        for term in _terms(tuple(facts), first, last, today):
            tally = _tally(term, count)
            total += tally
            tallies[("team", str(owner))] += tally
            tallies[("term", term.kind)] += tally
    names = _names(tenant)
    return LegalPunctuality(first=first, last=last, total=total,
                            by_term=_rows(tallies, "term",
                                          {kind: label(LEGAL_DEADLINE_LABELS, kind)
                                           for kind in LEGAL_TERMS}),
                            by_team=_rows(tallies, "team", names["team"]))


# ── The list for a team lead ──────────────────────────────────────────────────────────

def late_items(user: User, first: dt.date, last: dt.date, *, team_id: int | None = None,
               today: dt.date | None = None) -> list[LateItem]:
    """The late referral responses and legal terms of the period behind the counts, for one
    team: referrals the team owns or was asked to answer, and the terms of the requests it
    owns. A team lead sees their own team (``team_id`` may be left out); an administrator
    names one. References only. Raises Forbidden for anyone else, InvalidInput for a period
    that ends before it starts."""
    check_period(first, last)
    if user.role == TEAM_LEAD and user.team_id is not None:
        if team_id not in (None, user.team_id):
            raise Forbidden(_("You can only see the list of your own team."))
        team_id = user.team_id
    elif user.role != ADMIN or team_id is None:
        raise Forbidden(_("Only the team lead of the team can see this list."))
    tenant = db.session.get(Tenant, user.tenant_id)
    team = db.session.get(Team, team_id)
    if tenant is None or team is None or team.tenant_id != tenant.id:
        raise Forbidden(_("Only the team lead of the team can see this list."))
    today = today or local_today()
    items = [*_late_referrals(tenant, team, first, last, today),
             *_late_terms(tenant, team, first, last, today)]
    return sorted(items, key=lambda item: (item.due, item.reference, item.kind))


def _late_referrals(tenant: Tenant, team: Team, first: dt.date, last: dt.date,
                    today: dt.date) -> Iterable[LateItem]:
    calendar = calendar_for(tenant)
    status, waited_until = _referral_columns(today)
    names = _names(tenant)
    query = (select(SupportRequest.reference, SupportRequest.owner_team_id,
                    Referral.target_team_id, Referral.target_partner_id, Referral.domain,
                    dutch_day(Referral.sent_at), Referral.due_date,
                    dutch_day(Referral.answered_at), waited_until)
             .join(SupportRequest, SupportRequest.id == Referral.request_id)
             .where(_referrals_sent(tenant, first, last), status == _LATE,
                    or_(SupportRequest.owner_team_id == team.id,
                        Referral.target_team_id == team.id))
             .order_by(Referral.due_date, Referral.id))
    for reference, owner, to_team, to_partner, domain, sent, due, answered, until in (
            db.session.execute(query)):
        sent_on, due_on, until_on = _day(sent), _day(due), _day(until)
        assert sent_on and due_on and until_on
        target = (names["partner"].get(str(to_partner)) if to_partner is not None
                  else names["team"].get(str(to_team)))
        yield LateItem(
            kind="referral", reference=reference, team=names["team"].get(str(owner), ""),
            partner=target, domain=domain, due=due_on, answered=_day(answered),
            days_late=_working_days(calendar, due_on, until_on),
            very_late=_very_late(_working_days(calendar, sent_on, due_on),
                                 _working_days(calendar, sent_on, until_on)))


def _late_terms(tenant: Tenant, team: Team, first: dt.date, last: dt.date,
                today: dt.date) -> Iterable[LateItem]:
    query = (select(SupportRequest.reference, *_FACT_COLUMNS)
             .where(*_legal_facts(tenant, first, last),
                    SupportRequest.owner_team_id == team.id)
             .order_by(SupportRequest.id))
    for reference, *facts in db.session.execute(query):
        for term in _terms(tuple(facts), first, last, today):
            if term.state != _LATE:
                continue
            yield LateItem(kind=term.kind, reference=reference, team=team.name, partner=None,
                           domain="wmo", due=term.due,
                           answered=term.end if term.stepped else None,
                           days_late=term.days_late, very_late=term.very_late)


# ── Downloads ─────────────────────────────────────────────────────────────────────────

def exported(user: User, first: dt.date, last: dt.date, table: str, file_format: str) -> None:
    """Audit that ``user`` downloaded a table of punctuality figures (protected aggregates,
    no person's data) of the period ``first``–``last``; commit."""
    audit.record("punctuality.exported", tenant_id=user.tenant_id, object_type="tenant",
                 object_id=user.tenant_id, actor=user,
                 period={"start": first.isoformat(), "end": last.isoformat()}, table=table,
                 format=file_format)
    db.session.commit()


__all__ = ["LEGAL_TERMS", "VERY_LATE_FACTOR", "LateItem", "LegalPunctuality",
           "ReferralPunctuality", "Row", "Tally", "dutch_day", "exported", "late_items",
           "legal_punctuality", "referral_punctuality"]
