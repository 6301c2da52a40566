"""The team queue: filters, sorting, keyset pagination, counts and saved filters.

Plain query building: the view hands in the query parameters as a mapping and gets back
values; nothing here reads Flask's request.

What the filters mean (the queue only ever shows requests the user's team owns, in the
user's tenant):

- ``status``: ``open`` (new or being handled; the default), ``new``, ``in_progress``,
  ``closed`` or ``all``.
- ``priority`` (one or more): ``crisis``, ``spoed``, ``normaal`` — the priority the rules gave,
  which is at least the urgency the resident chose.
- ``domain``: the request has a referral for the domain, or its routing decision has a route
  to it (routes the owning team handles itself make no referral, yet are the request's
  domain too).
- ``wijk`` / ``buurt``: a CBS wijk or buurt code of the tenant's map.
- ``coordinator``: ``me``, ``nobody`` or the id of a colleague in the team.
- ``deadline``: the request's deadlines are the due dates of its referrals that wait for an
  answer (state ``sent``) and its running Wmo legal deadlines (:mod:`app.services.legal`).
  ``overdue``: one of them has passed; ``referral_overdue`` / ``legal_overdue``: only that
  kind; ``escalated``: a waiting referral was escalated to the team lead; a number *N*
  (0–90): one of them falls today or in the next *N* days (not yet passed).
- ``channel``: how the request came in.
- ``sort``: ``priority`` (crisis first, then the oldest; the default), ``newest``,
  ``oldest``, ``deadline`` (the earliest deadline first, requests without one last).

Pages hold :data:`PAGE_SIZE` requests and are found by keyset (an opaque cursor that holds
the sort key of a page's last or first row), never by OFFSET: a page deep in the list costs
what the first one does. Parameters that make no sense are ignored with a message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from flask_babel.speaklater import LazyString
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
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
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.i18n import _, _l
from app.lifecycle import REQUEST_CLOSED, REQUEST_STATES, TASK_OPEN
from app.models import Area, Referral, SavedFilter, SupportRequest, Task, User
from app.roles import TEAM_ROLES
from app.services import legal
from app.services.errors import InvalidInput, NotFound
from referral_rules.vocabulary import (
    CHANNELS,
    DOMAINS,
    MOST_PRESSING_FIRST,
    PRESSING_URGENCIES,
)

PAGE_SIZE = 50
STATUSES = ("open", *REQUEST_STATES, "all")
OPEN_STATUSES = ("open", "new", "in_progress")
#: The priority filter's codes, the most pressing first (referral_rules.vocabulary).
PRIORITIES = MOST_PRESSING_FIRST
SORTS = ("priority", "newest", "oldest", "deadline")
DEADLINE_KINDS = ("overdue", "referral_overdue", "legal_overdue", "escalated")
DEADLINE_DAYS_MAX = 90
#: Counting stops here (shown as "more than"): see count_limit.
COUNT_LIMIT = 10_000
COUNT_LIMIT_COSTLY = 1_000
SAVED_FILTER_NAME_MAX = 80
SAVED_FILTERS_MAX = 20
#: A referral in this state waits for the receiver's answer before its due date.
WAITING = "sent"
#: The day after every real deadline: requests without one sort last.
NO_DEADLINE = dt.date(9999, 12, 31)

#: The parameters, as the filter form names them, for messages about an ignored value.
FILTER_NAMES: dict[str, LazyString] = {
    "status": _l("Status"),
    "priority": _l("Urgency"),
    "domain": _l("Domain"),
    "wijk": _l("District"),
    "buurt": _l("Neighbourhood"),
    "coordinator": _l("Coordinator"),
    "deadline": _l("Deadline"),
    "channel": _l("Received via"),
    "sort": _l("Sort by"),
}


@dataclass(frozen=True)
class QueueFilter:
    """One view of the queue. The defaults are the plain team queue."""

    status: str = "open"
    priority: tuple[str, ...] = ()
    domain: str | None = None
    wijk: str | None = None
    buurt: str | None = None
    coordinator: str | None = None  # "me", "nobody" or a colleague's id as text
    deadline: str | None = None  # a DEADLINE_KINDS value or a number of days as text
    channel: str | None = None
    sort: str = "priority"

    def params(self) -> dict[str, str | list[str]]:
        """The values that differ from the default, as query parameters (and as stored in a
        saved filter)."""
        found: dict[str, str | list[str]] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value == item.default or value in (None, ()):
                continue
            found[item.name] = list(value) if isinstance(value, tuple) else value
        return found

    @property
    def is_default(self) -> bool:
        return not self.params()

    @property
    def only_open(self) -> bool:
        """Only open requests can match (deadlines run only while a request is open)."""
        return self.status in OPEN_STATUSES or self.deadline is not None


@dataclass(frozen=True)
class Choices:
    """What the filters of one user may take, beyond the fixed vocabularies."""

    wijken: dict[str, str]  # code → name
    buurten: dict[str, tuple[str, str | None]]  # code → (name, wijk code)
    colleagues: dict[int, str]  # user id → name


@dataclass(frozen=True)
class Scope:
    """Whose queue: the team's requests in the tenant, seen by one user on one day."""

    tenant_id: int
    team_id: int
    user_id: int
    today: dt.date

    @classmethod
    def of(cls, user: User, today: dt.date | None = None) -> Scope:
        if user.team_id is None:
            raise NotFound(_("You are not in a team."))
        return cls(user.tenant_id, user.team_id, user.id, today or legal.local_today())


@dataclass(frozen=True)
class Cursor:
    sort: str
    forward: bool  # True: the rows after ``key``; False: the rows before it
    key: tuple[Any, ...]


@dataclass(frozen=True)
class Parsed:
    filter: QueueFilter
    cursor: Cursor | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePage:
    requests: list[SupportRequest]
    open_tasks: dict[int, int]  # request id → open tasks of the team
    next_cursor: str | None
    previous_cursor: str | None


# --- Parameters ---------------------------------------------------------------------------

def choices_for(user: User) -> Choices:
    """The tenant's wijken and buurten (newest map) and the user's colleagues."""
    areas = db.session.execute(
        select(Area.code, Area.name, Area.kind, Area.parent_code)
        .where(Area.tenant_id == user.tenant_id, Area.kind.in_(("wijk", "buurt")))
        .order_by(Area.year, Area.code)).all()
    wijken: dict[str, str] = {}
    buurten: dict[str, tuple[str, str | None]] = {}
    for code, name, kind, parent in areas:  # a later map year overwrites an earlier one
        if kind == "wijk":
            wijken[code] = name
        else:
            buurten[code] = (name, parent)
    colleagues = dict(db.session.execute(
        select(User.id, User.name).where(
            User.tenant_id == user.tenant_id, User.team_id == user.team_id,
            User.role.in_(TEAM_ROLES), User.active.is_(True))
        .order_by(User.name, User.id)).all()) if user.team_id is not None else {}
    return Choices(dict(sorted(wijken.items(), key=lambda item: item[1])),
                   dict(sorted(buurten.items(), key=lambda item: item[1][0])), colleagues)


def parse(params: Mapping[str, Sequence[str]], choices: Choices,
          cursor: str | None = None) -> Parsed:
    """The filter (and cursor) the parameters ask for; what is not valid is left out, with a
    message for each. Unknown parameter names are no filter and are passed over silently."""
    problems: list[str] = []

    def one(name: str, allowed: Iterable[str]) -> str | None:
        values = [value.strip() for value in params.get(name, ()) if value.strip()]
        if not values:
            return None
        if values[-1] in allowed:
            return values[-1]
        problems.append(_ignored(name, values[-1]))
        return None

    status = one("status", STATUSES) or "open"
    priority: list[str] = []
    for value in params.get("priority", ()):
        value = value.strip()
        if value in PRIORITIES:
            if value not in priority:
                priority.append(value)
        elif value:
            problems.append(_ignored("priority", value))
    coordinator = one("coordinator", ["me", "nobody", *map(str, choices.colleagues)])
    deadline_values = [*DEADLINE_KINDS, *map(str, range(DEADLINE_DAYS_MAX + 1))]
    qfilter = QueueFilter(
        status=status,
        priority=tuple(code for code in PRIORITIES if code in priority),
        domain=one("domain", DOMAINS),
        wijk=one("wijk", choices.wijken),
        buurt=one("buurt", choices.buurten),
        coordinator=coordinator,
        deadline=one("deadline", deadline_values),
        channel=one("channel", CHANNELS),
        sort=one("sort", SORTS) or "priority",
    )
    found = None
    if cursor:
        found = decode_cursor(cursor, qfilter.sort)
        if found is None:
            problems.append(_("The link to this page is no longer valid. You see the first "
                              "page."))
    return Parsed(qfilter, found, list(dict.fromkeys(problems)))


def _ignored(name: str, value: str) -> str:
    shown = value if len(value) <= 40 else value[:39] + "…"
    return _("%(filter)s: “%(value)s” is not a choice, so this filter is not used.",
             filter=FILTER_NAMES[name], value=shown)


# --- SQL building blocks ------------------------------------------------------------------

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


def _routes_include(domain: str) -> ColumnElement[bool]:
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


def _waiting_ids(scope: Scope, *conditions: ColumnElement[bool]) -> Select[tuple[int]]:
    """The team's open requests with a referral waiting for an answer that meets
    ``conditions``.

    The tenant's waiting referrals are few, and ix_referral_waiting holds what is asked; the
    team's open requests come from ix_request_open_queue alone."""
    return (select(Referral.request_id)
            .where(Referral.state == WAITING, Referral.tenant_id == scope.tenant_id,
                   Referral.request_id.in_(_open_ids(scope)), *conditions).correlate(None))


def _open_ids(scope: Scope, *conditions: ColumnElement[bool]) -> Select[tuple[int]]:
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
                       ) -> list[Select[tuple[int]]]:
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
    parts: list[Select[tuple[int]]]
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


def waiting_due(scope: Scope) -> Any:
    """Per request of the tenant: the earliest due date of its referrals waiting for an
    answer (a subquery to join)."""
    return (select(Referral.request_id, func.min(Referral.due_date).label("due"))
            .where(Referral.state == WAITING, Referral.tenant_id == scope.tenant_id)
            .group_by(Referral.request_id).subquery("waiting"))


def deadline_key(waiting: Any, today: dt.date) -> ColumnElement[dt.date]:
    """The request's earliest deadline (:data:`NO_DEADLINE` when it has none)."""
    no_deadline = literal(NO_DEADLINE, Date())
    return type_coerce(case(
        (SupportRequest.status == REQUEST_CLOSED, no_deadline),
        else_=_Earliest(
            func.coalesce(waiting.c.due, no_deadline),
            func.coalesce(legal_due_key(today), no_deadline),
        )), Date())


#: The priority sort's key in SQL: a request's place in :data:`PRIORITIES` (0 for the most
#: pressing); a priority outside the vocabulary sorts with the least pressing.
PRIORITY_RANK = case({code: place for place, code in enumerate(PRIORITIES)},
                     value=SupportRequest.priority, else_=len(PRIORITIES) - 1)


def _sort_keys(sort: str, waiting: Any, today: dt.date
               ) -> tuple[list[ColumnElement[Any]], bool]:
    """The sort key of a sort (the request id last, so that it is unique) and whether it
    runs ascending."""
    if sort == "newest":
        return [SupportRequest.created_at, SupportRequest.id], False
    if sort == "oldest":
        return [SupportRequest.created_at, SupportRequest.id], True
    if sort == "deadline":
        return [deadline_key(waiting, today), PRIORITY_RANK, SupportRequest.created_at,
                SupportRequest.id], True
    return [PRIORITY_RANK, SupportRequest.created_at, SupportRequest.id], True


#: How each sort's key is written in a cursor.
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "newest": (dt.datetime, int),
    "oldest": (dt.datetime, int),
    "deadline": (dt.date, int, dt.datetime, int),
    "priority": (int, dt.datetime, int),
}


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
        found.append(or_(_routes_include(qfilter.domain), _has_referral(qfilter.domain)))
    if qfilter.deadline:
        found.append(_deadline_condition(scope, qfilter.deadline))
    return found


def _where(scope: Scope, qfilter: QueueFilter) -> list[ColumnElement[bool]]:
    return [*scope_conditions(scope, qfilter.only_open), *filter_conditions(scope, qfilter)]


# --- Pages and counts ---------------------------------------------------------------------

def page(scope: Scope, qfilter: QueueFilter, cursor: Cursor | None = None,
         size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue: after (or before) the cursor, or the first page.

    Two steps in one statement: the page's ids and sort keys first (from the indexes alone
    when the filters allow it), then those rows (a "deferred join")."""
    waiting = waiting_due(scope)
    keys, ascending = _sort_keys(qfilter.sort, waiting, scope.today)
    forward = cursor is None or cursor.forward
    upwards = ascending == forward
    ids = select(SupportRequest.id.label("page_id"),
                 *(key.label(f"key{number}") for number, key in enumerate(keys)))
    if qfilter.sort == "deadline":
        ids = ids.outerjoin(waiting, waiting.c.request_id == SupportRequest.id)
    ids = ids.where(*_where(scope, qfilter))
    if cursor is not None:
        values = tuple_(*(literal(value, key.type)
                          for key, value in zip(keys, cursor.key, strict=True)))
        ids = ids.where(tuple_(*keys) > values if upwards else tuple_(*keys) < values)
    found = ids.order_by(*(key.asc() if upwards else key.desc() for key in keys)) \
        .limit(size + 1).subquery("found")
    key_columns = [found.c[f"key{number}"] for number in range(len(keys))]
    rows = db.session.execute(
        select(SupportRequest, *key_columns)
        .join(found, found.c.page_id == SupportRequest.id)
        .order_by(*(column.asc() if upwards else column.desc() for column in key_columns))
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    requests = [row[0] for row in rows]
    first_key, last_key = (tuple(rows[0][1:]), tuple(rows[-1][1:])) if rows else ((), ())
    if forward:
        next_cursor = encode_cursor(Cursor(qfilter.sort, True, last_key)) if more else None
        previous_cursor = (encode_cursor(Cursor(qfilter.sort, False, first_key))
                           if cursor is not None and rows else None)
    else:
        next_cursor = encode_cursor(Cursor(qfilter.sort, True, last_key)) if rows else None
        previous_cursor = (encode_cursor(Cursor(qfilter.sort, False, first_key))
                           if more else None)
    return QueuePage(requests, _open_tasks(scope, requests), next_cursor, previous_cursor)


def _open_tasks(scope: Scope, requests: list[SupportRequest]) -> dict[int, int]:
    if not requests:
        return {}
    return {request_id: count for request_id, count in db.session.execute(
        select(Task.request_id, func.count(Task.id))
        .where(Task.request_id.in_([request.id for request in requests]),
               Task.team_id == scope.team_id, Task.state == TASK_OPEN)
        .group_by(Task.request_id)).all()}


@dataclass(frozen=True)
class Count:
    number: int
    more: bool  # there are more than ``number``; counting stopped there


def count_limit(qfilter: QueueFilter) -> int:
    """Where counting stops: the simple filters are answered from the indexes; a domain or
    a deadline filter reads the requests themselves, so its count stops sooner."""
    return COUNT_LIMIT_COSTLY if qfilter.domain or qfilter.deadline else COUNT_LIMIT


def counts(scope: Scope, filters: Sequence[QueueFilter]) -> list[Count]:
    """How many of the team's requests each filter finds (up to its :func:`count_limit`),
    in one statement."""
    if not filters:
        return []
    columns = []
    for qfilter in filters:
        limited = (select(literal_column("1").label("one")).select_from(SupportRequest)
                   .where(*_where(scope, qfilter)).limit(count_limit(qfilter) + 1).subquery())
        columns.append(select(func.count()).select_from(limited).scalar_subquery())
    row = db.session.execute(select(*columns)).one()
    found = []
    for qfilter, number in zip(filters, row, strict=True):
        limit = count_limit(qfilter)
        found.append(Count(min(int(number), limit), int(number) > limit))
    return found


def workload(scope: Scope) -> dict[int | None, tuple[int, int]]:
    """Open requests per coordinator (None: nobody yet): (all, crisis or urgent)."""
    urgent = func.count(case((SupportRequest.priority.in_(PRESSING_URGENCIES), 1)))
    rows = db.session.execute(
        select(SupportRequest.coordinator_id, func.count(SupportRequest.id), urgent)
        .where(*scope_conditions(scope, only_open=True))
        .group_by(SupportRequest.coordinator_id)).all()
    return {coordinator: (int(total), int(pressing)) for coordinator, total, pressing in rows}


# --- Cursors ------------------------------------------------------------------------------

def encode_cursor(cursor: Cursor) -> str:
    key = [value.isoformat() if isinstance(value, dt.date) else value for value in cursor.key]
    raw = json.dumps([cursor.sort, "a" if cursor.forward else "b", key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> Cursor | None:
    """The cursor in ``token`` when it is well formed and made for ``sort``; else None."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, direction, values = json.loads(raw)
        types = _KEY_TYPES[sort]
        if made_for != sort or direction not in ("a", "b") or len(values) != len(types):
            return None
        key: list[Any] = []
        for kind, value in zip(types, values, strict=True):
            if kind is int:
                if type(value) is not int or abs(value) > 2**62:
                    return None
                key.append(value)
            elif kind is dt.datetime:
                key.append(dt.datetime.fromisoformat(value).replace(tzinfo=None))
            else:
                key.append(dt.date.fromisoformat(value))
        return Cursor(sort, direction == "a", tuple(key))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None


# --- Saved filters ------------------------------------------------------------------------

def saved_filters(user: User) -> list[SavedFilter]:
    return list(db.session.scalars(select(SavedFilter).where(
        SavedFilter.tenant_id == user.tenant_id, SavedFilter.user_id == user.id)
        .order_by(SavedFilter.id)))


def saved_filter(user: User, filter_id: int) -> SavedFilter:
    """One of the user's own saved filters; someone else's is NotFound."""
    found = db.session.get(SavedFilter, filter_id)
    if found is None or found.user_id != user.id or found.tenant_id != user.tenant_id:
        raise NotFound(_("This saved filter does not exist."))
    return found


def save_filter(user: User, name: str | None, qfilter: QueueFilter) -> SavedFilter:
    """Save the filter under a name of the user's choice; commit."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Give the filter a name."), "name")
    if len(name) > SAVED_FILTER_NAME_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=SAVED_FILTER_NAME_MAX),
                           "name")
    mine = saved_filters(user)
    if any(existing.name.casefold() == name.casefold() for existing in mine):
        raise InvalidInput(_("You already have a filter with this name. Choose another name."),
                           "name")
    if len(mine) >= SAVED_FILTERS_MAX:
        raise InvalidInput(_("You can save at most %(max)d filters. Delete one first.",
                             max=SAVED_FILTERS_MAX), "name")
    found = SavedFilter(tenant_id=user.tenant_id, user_id=user.id, name=name,
                        params=qfilter.params())
    db.session.add(found)
    db.session.commit()
    return found


def delete_filter(user: User, filter_id: int) -> str:
    """Delete one of the user's saved filters; commit. Returns its name."""
    found = saved_filter(user, filter_id)
    name = found.name
    db.session.delete(found)
    db.session.commit()
    return name


def stored_filter(saved: SavedFilter, choices: Choices) -> Parsed:
    """A saved filter as a filter, checked again (a colleague or an area may be gone)."""
    params = {key: value if isinstance(value, list) else [str(value)]
              for key, value in (saved.params or {}).items()}
    return parse(params, choices)


__all__ = ["COUNT_LIMIT", "COUNT_LIMIT_COSTLY", "Choices", "Count", "Cursor", "DEADLINE_KINDS",
           "FILTER_NAMES", "PAGE_SIZE", "PRIORITIES", "Parsed", "QueueFilter", "QueuePage",
           "SAVED_FILTERS_MAX", "SAVED_FILTER_NAME_MAX", "SORTS", "STATUSES", "Scope",
           "choices_for", "count_limit", "counts", "deadline_key", "decode_cursor",
           "delete_filter", "encode_cursor", "filter_conditions", "page", "parse", "save_filter",
           "saved_filter", "saved_filters", "scope_conditions", "stored_filter", "waiting_due",
           "workload"]
