"""The queue in SQL: the conditions of a filter, the deadlines and the sort keys.

Each expression runs on PostgreSQL and on SQLite: the few that differ are SQL functions of
our own (:class:`_DaysFrom`, :class:`_DatePlus`, :class:`_Earliest`) compiled per dialect.
The deadline filters are written so that the indexes collect what they find (see
docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Subquery,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from app.lifecycle import REQUEST_CLOSED
from app.models import Referral, SupportRequest
from app.services.queue.filters import PRIORITIES, QueueFilter, Scope

#: A referral in this state waits for the receiver's answer before its due date.
WAITING = "sent"
#: The day after every real deadline: requests without one sort last.
NO_DEADLINE = dt.date(9999, 12, 31)

#: A column of a sort key: a column of the request or an expression computed from them.
SortKey = ColumnElement[Any] | InstrumentedAttribute[Any]


# --- SQL functions of our own -------------------------------------------------------------

class _DaysFrom(FunctionElement[int]):
    """Whole days from the first date to the second."""

    type = Integer()
    inherit_cache = True
    name = "days_from"


@compiles(_DaysFrom, "postgresql")
def _days_from_pg(element: _DaysFrom, compiler: Any, **kw: Any) -> str:
    first, last = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({last} - {first})"


@compiles(_DaysFrom)
def _days_from_sqlite(element: _DaysFrom, compiler: Any, **kw: Any) -> str:
    first, last = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({last}) - julianday({first}) AS INTEGER)"


class _DatePlus(FunctionElement[dt.date]):
    type = Date()
    inherit_cache = True
    name = "date_plus"


@compiles(_DatePlus, "postgresql")
def _date_plus_pg(element: _DatePlus, compiler: Any, **kw: Any) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({day} + {days})"


@compiles(_DatePlus)
def _date_plus_sqlite(element: _DatePlus, compiler: Any, **kw: Any) -> str:
    day, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({day}, {days} || ' days')"


class _Earliest(FunctionElement[dt.date]):
    """The smallest of some dates (none of them NULL)."""

    type = Date()
    inherit_cache = True
    name = "earliest"


@compiles(_Earliest, "postgresql")
def _earliest_pg(element: _Earliest, compiler: Any, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clause_expr.element, **kw)})"


@compiles(_Earliest)
def _earliest_sqlite(element: _Earliest, compiler: Any, **kw: Any) -> str:
    return f"MIN({compiler.process(element.clause_expr.element, **kw)})"


def _days(number: int) -> ColumnElement[int]:
    return literal_column(str(int(number)))


# --- Domains ------------------------------------------------------------------------------

def routes_include(domain: str) -> ColumnElement[bool]:
    """The request's routing decision has a route to ``domain``.

    A text match on the stored JSON, because parsing every decision takes about twice as
    long (docs/benchmarks.md). It is exact: only routes carry a ``"domain"`` key, and
    inside a JSON string every quote is escaped, so ``"domain": "wmo"`` cannot come from a
    title or a reason. Both separators are matched (``json.dumps`` writes ``": "``; PostgreSQL
    writes jsonb that way too; a compact serializer would write ``":"``).
    """
    text = cast(SupportRequest.decision, Text)
    return or_(*(text.like(f'%"domain":{space}"{domain}"%') for space in (" ", "")))


def _has_referral(domain: str) -> ColumnElement[bool]:
    return exists().where(Referral.request_id == SupportRequest.id, Referral.domain == domain)


# --- Deadlines ----------------------------------------------------------------------------

def _waiting_ids(scope: Scope, *conditions: ColumnElement[bool]) -> Select[int]:
    """The team's open requests with a referral waiting for an answer that meets
    ``conditions``.

    The tenant's waiting referrals are few, and ix_referral_waiting holds what is asked; the
    team's open requests come from ix_request_open_queue alone."""
    return (select(Referral.request_id)
            .where(Referral.state == WAITING, Referral.tenant_id == scope.tenant_id,
                   Referral.request_id.in_(_open_ids(scope)), *conditions).correlate(None))


def _open_ids(scope: Scope, *conditions: ColumnElement[bool]) -> Select[int]:
    """The team's open requests that meet ``conditions``, as a subquery of its own."""
    return select(SupportRequest.id).where(*scope_conditions(scope, only_open=True),
                                           *conditions).correlate(None)


def _pause_base(today: dt.date) -> ColumnElement[dt.date]:
    """The day a request's legal clock is read on: ``today``, or the day the current wait
    for the resident began, when it began before today (legal.effective_due, in SQL)."""
    day = literal(today, Date())
    return type_coerce(case((and_(SupportRequest.legal_paused_on.is_not(None),
                                  SupportRequest.legal_paused_on < day),
                             SupportRequest.legal_paused_on), else_=day), Date())


def _legal_due_between(scope: Scope, first_offset: int | None, last_offset: int
                       ) -> list[Select[int]]:
    """The requests whose running legal clock is due between ``first_offset`` (None: no
    lower bound) and ``last_offset`` days from today, counted as app.services.legal does: a
    wait for the resident that lasts now holds the clock still, so the days are counted
    from the day it began (:func:`_pause_base`)."""
    base = _pause_base(scope.today)
    due = SupportRequest.legal_due_on
    # The first bound follows from the second (the base is never after today) and lets
    # ix_request_legal_due narrow the search.
    conditions = [due <= scope.today + dt.timedelta(days=last_offset),
                  due <= _DatePlus(base, _days(last_offset))]
    if first_offset is not None:
        conditions.append(due >= _DatePlus(base, _days(first_offset)))
    return [_open_ids(scope, *conditions)]


def legal_due_key(today: dt.date) -> ColumnElement[dt.date]:
    """The due date of the request's first running legal clock as shown on ``today`` (NULL
    when none runs): the stored due date moved on by the days of the current wait."""
    base = _pause_base(today)
    return type_coerce(_DatePlus(SupportRequest.legal_due_on,
                                 _DaysFrom(base, literal(today, Date()))), Date())


def _deadline_condition(scope: Scope, kind: str) -> ColumnElement[bool]:
    """The request is among those a deadline filter finds.

    Each kind is a set of requests collected by the indexes (waiting referrals, legal clocks
    by their stored due date), so the cost follows the number found, not the size of the queue."""
    today = scope.today
    referral_late = _waiting_ids(scope, Referral.due_date < today)
    parts: list[Select[int]]
    if kind == "referral_overdue":
        parts = [referral_late]
    elif kind == "legal_overdue":
        parts = _legal_due_between(scope, None, -1)
    elif kind == "overdue":
        parts = [*_legal_due_between(scope, None, -1), referral_late]
    elif kind == "escalated":  # the scheduler escalates only after the due date
        parts = [_waiting_ids(scope, Referral.due_date < today,
                              Referral.escalated_at.is_not(None))]
    else:
        last = today + dt.timedelta(days=int(kind))
        parts = [*_legal_due_between(scope, 0, int(kind)),
                 _waiting_ids(scope, Referral.due_date >= today, Referral.due_date <= last)]
    return SupportRequest.id.in_(parts[0] if len(parts) == 1 else union_all(*parts))


def waiting_due(scope: Scope) -> Subquery:
    """Per request of the tenant: the earliest due date of its referrals waiting for an
    answer (a subquery to join)."""
    return (select(Referral.request_id, func.min(Referral.due_date).label("due"))
            .where(Referral.state == WAITING, Referral.tenant_id == scope.tenant_id)
            .group_by(Referral.request_id).subquery("waiting"))


def deadline_key(waiting: Subquery, today: dt.date) -> ColumnElement[dt.date]:
    """The request's earliest deadline (:data:`NO_DEADLINE` when it has none); ``waiting``
    is :func:`waiting_due`, joined."""
    no_deadline = literal(NO_DEADLINE, Date())
    return type_coerce(case(
        (SupportRequest.status == REQUEST_CLOSED, no_deadline),
        else_=_Earliest(
            func.coalesce(waiting.c.due, no_deadline),
            func.coalesce(legal_due_key(today), no_deadline),
        )), Date())


# --- Sort keys ----------------------------------------------------------------------------

#: The priority sort's key in SQL: a request's place in :data:`PRIORITIES` (0 for the most
#: pressing); a priority outside the vocabulary sorts with the least pressing.
PRIORITY_RANK = case({code: place for place, code in enumerate(PRIORITIES)},
                     value=SupportRequest.priority, else_=len(PRIORITIES) - 1)


def sort_keys(sort: str, waiting: Subquery, today: dt.date) -> tuple[list[SortKey], bool]:
    """The sort key of a sort (the request id last, so that it is unique) and whether it
    runs ascending. The deadline sort reads ``waiting`` (:func:`waiting_due`), joined."""
    if sort == "newest":
        return [SupportRequest.created_at, SupportRequest.id], False
    if sort == "oldest":
        return [SupportRequest.created_at, SupportRequest.id], True
    if sort == "deadline":
        return [deadline_key(waiting, today), PRIORITY_RANK, SupportRequest.created_at,
                SupportRequest.id], True
    return [PRIORITY_RANK, SupportRequest.created_at, SupportRequest.id], True


# --- Conditions ---------------------------------------------------------------------------

def scope_conditions(scope: Scope, only_open: bool = False) -> list[ColumnElement[bool]]:
    conditions = [SupportRequest.tenant_id == scope.tenant_id,
                  SupportRequest.owner_team_id == scope.team_id]
    if only_open:  # spelled as the partial index ix_request_open_queue is
        conditions.append(SupportRequest.status != REQUEST_CLOSED)
    return conditions


def filter_conditions(scope: Scope, qfilter: QueueFilter) -> list[ColumnElement[bool]]:
    """The conditions of a filter, within the team's requests."""
    found: list[ColumnElement[bool]] = []
    if qfilter.status not in ("open", "all"):
        found.append(SupportRequest.status == qfilter.status)
    if qfilter.priority:
        found.append(SupportRequest.priority.in_(qfilter.priority))
    if qfilter.wijk:
        found.append(SupportRequest.wijk_code == qfilter.wijk)
    if qfilter.buurt:
        found.append(SupportRequest.buurt_code == qfilter.buurt)
    if qfilter.coordinator == "me":
        found.append(SupportRequest.coordinator_id == scope.user_id)
    elif qfilter.coordinator == "nobody":
        found.append(SupportRequest.coordinator_id.is_(None))
    elif qfilter.coordinator:
        found.append(SupportRequest.coordinator_id == int(qfilter.coordinator))
    if qfilter.channel:
        found.append(SupportRequest.channel == qfilter.channel)
    # The costly ones last: a route is matched in the stored decision, a referral looked up.
    if qfilter.domain:
        found.append(or_(routes_include(qfilter.domain), _has_referral(qfilter.domain)))
    if qfilter.deadline:
        found.append(_deadline_condition(scope, qfilter.deadline))
    return found


def queue_conditions(scope: Scope, qfilter: QueueFilter) -> list[ColumnElement[bool]]:
    """The requests of the scope that the filter finds: :func:`scope_conditions` and
    :func:`filter_conditions` together."""
    return [*scope_conditions(scope, qfilter.only_open), *filter_conditions(scope, qfilter)]
