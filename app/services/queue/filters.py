"""What a view of the queue asks for: whose queue (:class:`Scope`) and which of its
requests in which order (:class:`QueueFilter`), parsed from the query parameters.

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

Parameters that make no sense are ignored with a message. The SQL of each filter is in
:mod:`app.services.queue.sql`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from flask_babel.speaklater import LazyString
from sqlalchemy import select

from app.extensions import db
from app.i18n import _, _l
from app.lifecycle import REQUEST_STATES
from app.models import Area, User
from app.roles import TEAM_ROLES
from app.services import legal
from app.services.errors import NotFound
from app.services.queue.cursors import Cursor, decode_cursor
from referral_rules.vocabulary import CHANNELS, DOMAINS, MOST_PRESSING_FIRST

STATUSES = ("open", *REQUEST_STATES, "all")
OPEN_STATUSES = ("open", "new", "in_progress")
#: The priority filter's codes, the most pressing first (referral_rules.vocabulary).
PRIORITIES = MOST_PRESSING_FIRST
SORTS = ("priority", "newest", "oldest", "deadline")
DEADLINE_KINDS = ("overdue", "referral_overdue", "legal_overdue", "escalated")
DEADLINE_DAYS_MAX = 90

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
class Parsed:
    filter: QueueFilter
    cursor: Cursor | None = None
    problems: list[str] = field(default_factory=list)


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
