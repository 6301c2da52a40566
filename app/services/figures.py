"""The municipality's figures: requests and referrals of one period, filtered, as tables.

Every number is computed in the database (``COUNT`` with ``GROUP BY`` or ``CASE``, the
percentiles with PostgreSQL's ``percentile_cont``), so the cost grows with the number of
groups, not with the number of requests. Every table is published through the pure library
``disclosure`` with the municipality's rules (``app.services.small_numbers.rules_for``):
a count under ``min_count`` is shown as "fewer than 10", never as its number, and a median
or percentile of a group under ``min_count`` is not shown either.

What each figure means (the period is a range of Dutch days, both ends included; "the
filter" is every choice of :class:`FigureFilter` besides the period; a duplicate merged into
another request is not counted, its request is):

- *received*: requests of the filter that came in during the period;
- *closed*: requests of the filter closed during the period (whenever they came in);
- *open at the end*: requests of the filter that came in before the end of the period and
  were not closed by then;
- *by district or neighbourhood, channel, age band, life area*: the received requests by
  the district (or, with a district chosen, the neighbourhood) they were placed in, the way
  they came in, the age at intake, and each life area ticked (a request with two life areas
  counts under both, so that table has no total);
- *referrals by state and by domain*: referrals of the filter's requests made during the
  period, by their state now and by their domain (with a domain or partner chosen, only
  referrals for that domain or to that partner);
- *no fixed address*: received requests of someone without a fixed place to live;
- *turning 18*: requests of the filter with a warm-handover task (``transition_18``) made
  during the period;
- *not helped, looked at again*: requests of the filter whose resident answered "no" to the
  feedback question during the period (the ``reopen_request`` task made then);
- *times*: for the requests received in the period, the days from receipt to the first
  contact with the resident, to the first referral sent, to the first referral accepted, and
  to closure: median and 90th percentile of those that got there so far.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.dialects import postgresql

from app.calendar import Period, day_start
from app.extensions import db
from app.i18n import _
from app.lifecycle import REFERRAL_STATES
from app.models import (
    Area,
    Partner,
    ReferralFigure,
    RequestFigure,
    Task,
    Team,
    Tenant,
    User,
)
from app.services import audit
from app.services.request_figures import DOMAIN_BITS, LIFE_AREA_BITS, has_bit
from app.services.small_numbers import rules_for
from app.sql import seconds_between
from app.vocabulary import (
    AGE_BAND_LABELS,
    CHANNEL_LABELS,
    DOMAIN_LABELS,
    LIFE_AREA_LABELS,
    REFERRAL_STATE_LABELS,
    label,
)
from disclosure import Rules, Status, protect, round_to
from referral_rules.vocabulary import AGE_BANDS, CHANNELS, DOMAINS, LIFE_AREAS

#: The task kinds some figures count (made by the rulesets and by the feedback service).
TRANSITION_TASK = "transition_18"
REOPEN_TASK = "reopen_request"
#: The group of requests without a known district, neighbourhood or age.
UNKNOWN = "unknown"
_SECONDS_PER_DAY = 86400.0


# --- What is asked ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureFilter:
    """A period (Dutch days, both included) and the optional choices that narrow it."""

    start: dt.date
    end: dt.date
    wijk: str | None = None
    buurt: str | None = None
    domain: str | None = None
    life_area: str | None = None
    channel: str | None = None
    team_id: int | None = None
    partner_id: int | None = None
    age_band: str | None = None

    def params(self) -> dict[str, str]:
        """The filter as query-string parameters (the form's names), empty ones left out."""
        values: dict[str, Any] = {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "wijk": self.wijk,
            "buurt": self.buurt, "domain": self.domain, "life_area": self.life_area,
            "channel": self.channel, "team": self.team_id, "partner": self.partner_id,
            "age_band": self.age_band}
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class Choices:
    """What the filter can choose from in one municipality (code or id → name)."""

    wijken: dict[str, str]
    buurten: dict[str, str]
    wijk_of: dict[str, str | None]  # buurt → its wijk
    teams: dict[int, str]
    partners: dict[int, str]


def choices_for(tenant_id: int) -> Choices:
    """The municipality's districts and neighbourhoods (every map year, the newest name),
    teams and partners."""
    areas = db.session.execute(
        select(Area.kind, Area.code, Area.name, Area.parent_code).where(
            Area.tenant_id == tenant_id, Area.kind.in_(("wijk", "buurt")))
        .order_by(Area.year, Area.code)).all()
    named: dict[str, dict[str, str]] = {"wijk": {}, "buurt": {}}
    wijk_of: dict[str, str | None] = {}
    for kind, code, name, parent in areas:
        named[kind][code] = name
        if kind == "buurt":
            wijk_of[code] = parent
    teams = dict(db.session.execute(select(Team.id, Team.name).where(
        Team.tenant_id == tenant_id).order_by(Team.name)).all())
    partners = dict(db.session.execute(select(Partner.id, Partner.name).where(
        Partner.tenant_id == tenant_id).order_by(Partner.name)).all())
    return Choices(wijken=dict(sorted(named["wijk"].items(), key=lambda item: item[1])),
                   buurten=dict(sorted(named["buurt"].items(), key=lambda item: item[1])),
                   wijk_of=wijk_of, teams=teams, partners=partners)


def quick_periods(today: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """This and last quarter, this and last year, for ``today`` (a Dutch day)."""
    quarter = Period.of(today)
    return {
        "this_quarter": (quarter.first_day, quarter.last_day),
        "last_quarter": (quarter.previous().first_day, quarter.previous().last_day),
        "this_year": (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
        "last_year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    }


# --- What is shown ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One cell: its value when shown, else why not (``Status.SMALL``: under the minimum;
    ``Status.HIDDEN``: hidden so that a small one cannot be worked out)."""

    status: Status
    value: int | float | None = None

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    cells: tuple[Figure, ...]


@dataclass(frozen=True)
class Table:
    """A table of the page: ``columns`` are the headers after the row header; the first
    column is what the bar chart shows (when ``chart``)."""

    key: str
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row | None = None
    chart: bool = True


@dataclass(frozen=True)
class Figures:
    filter: FigureFilter
    rules: Rules
    tables: tuple[Table, ...]

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


#: The tables, in the order of the page (their keys name the downloads).
TABLE_KEYS = ("requests", "areas", "channels", "age_bands", "life_areas", "referral_states",
              "referral_domains", "situations", "times")


def figures(tenant: Tenant, wanted: FigureFilter, choices: Choices | None = None) -> Figures:
    """Every table of the workspace's figures page for ``wanted``, protected with the
    tenant's rules (what each figure means: this module's docstring). A handful of queries,
    each one pass over the period's rows: the requests, the received ones by group, the
    referrals by state and domain, the tasks by kind, the times. ``choices``: the tenant's
    :func:`choices_for`, when the caller has read them already for its form."""
    rules = rules_for(tenant)
    choices = choices or choices_for(tenant.id)
    query = _Query(tenant.id, wanted)
    received = _received(query)
    requests = _requests_table(query, rules)
    breakdowns = [_areas_table(query, received, rules, choices),
                  _channels_table(query, received, rules),
                  _age_bands_table(query, received, rules)]
    headline = requests.rows[0].cells[0]
    hide, breakdowns = _same_total(headline, breakdowns)
    if hide and headline.shown:
        requests = _replace_cell(requests, 0, Figure(Status.HIDDEN))
    states, domains = _referrals(query)
    referrals = [_referral_states_table(states, rules),
                 _referral_domains_table(query, domains, rules)]
    _ignored, referrals = _same_total(None, referrals)
    tables = (requests, *breakdowns, _life_areas_table(received, rules), *referrals,
              _situations_table(query, received, rules), _times_table(query, rules))
    return Figures(filter=wanted, rules=rules, tables=tables)


def exported(user: User, wanted: FigureFilter, table: str, file_format: str) -> None:
    """Audit that ``user`` downloaded a table of figures (aggregates, no person's data) with
    this filter; commit."""
    audit.record("figures.exported", tenant_id=user.tenant_id, object_type="tenant",
                 object_id=user.tenant_id, actor=user, filter=wanted.params(), table=table,
                 format=file_format)
    db.session.commit()


# --- The queries -----------------------------------------------------------------------------

#: The rows read: one per request and one per referral, kept by
#: :mod:`app.services.request_figures`; a referral's row carries its request's groups.
_F = RequestFigure
_R = ReferralFigure


class _Query:
    """The filter's conditions in SQL, on the requests' and on the referrals' figure rows."""

    def __init__(self, tenant_id: int, wanted: FigureFilter) -> None:
        self.tenant_id = tenant_id
        self.wanted = wanted
        self.start, self.end = day_start(wanted.start), day_start(wanted.end + dt.timedelta(days=1))
        #: The filter's referrals: of its requests, to its domain and partner.
        self.referral = [*self._groups(_R), *self._referral_conditions(_R)]
        #: The filter's requests, but for a partner chosen (:meth:`requests`).
        self._request = self._groups(_F)
        if wanted.domain:
            self._request.append(has_bit(_F.referral_domains, DOMAIN_BITS[wanted.domain]))

    def requests(self, *, in_period: bool) -> list[ColumnElement[bool]]:
        """The conditions choosing the filter's requests (with a domain or partner: those
        with such a referral) for a count of requests received before the period's end
        (every count here: nothing happens to a request before it is received), and from
        its start when ``in_period``. A partner's requests are chosen from its referrals'
        rows by their request's receipt, one range of their index (tenant, partner,
        received), not by a semi-join with every referral the partner ever had."""
        if self.wanted.partner_id is None:
            return self._request
        received = (self.in_period(_R.received_at) if in_period
                    else _R.received_at < self.end)
        return [*self._request, _F.request_id.in_(
            select(_R.request_id).where(_R.tenant_id == self.tenant_id,
                                        *self._referral_conditions(_R), received))]

    def _groups(self, rows: Any) -> list[ColumnElement[bool]]:
        """The conditions on the groups a request counts in, on either kind of row."""
        wanted = self.wanted
        conditions: list[ColumnElement[bool]] = [rows.tenant_id == self.tenant_id]
        if wanted.wijk:
            conditions.append(rows.wijk_code == wanted.wijk)
        if wanted.buurt:
            conditions.append(rows.buurt_code == wanted.buurt)
        if wanted.channel:
            conditions.append(rows.channel == wanted.channel)
        if wanted.team_id is not None:
            conditions.append(rows.team_id == wanted.team_id)
        if wanted.life_area:
            conditions.append(has_bit(rows.life_areas, LIFE_AREA_BITS[wanted.life_area]))
        if wanted.age_band:
            conditions.append(rows.age_band == wanted.age_band)
        return conditions

    @property
    def by_referral(self) -> bool:
        """The filter chooses referrals (a domain or a partner): the times to the first
        referral are those of its referrals, not of every referral of the request."""
        return bool(self.wanted.domain) or self.wanted.partner_id is not None

    def _referral_conditions(self, referral: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.wanted.domain:
            conditions.append(referral.domain == self.wanted.domain)
        if self.wanted.partner_id is not None:
            conditions.append(referral.partner_id == self.wanted.partner_id)
        return conditions

    def in_period(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    @property
    def received(self) -> ColumnElement[bool]:
        return self.in_period(_F.received_at)

    def count_tasks(self, kinds: Sequence[str]) -> dict[str, int]:
        """Per kind, the requests of the filter with a task of that kind made in the period."""
        rows = db.session.execute(
            select(Task.kind, func.count(func.distinct(Task.request_id)))
            .join(_F, _F.request_id == Task.request_id)
            .where(Task.tenant_id == self.tenant_id, Task.kind.in_(kinds),
                   self.in_period(Task.created_at), *self.requests(in_period=False))
            .group_by(Task.kind)).all()
        return {kind: count for kind, count in rows}


@dataclass(frozen=True)
class _Received:
    """The requests of the filter received in the period, counted along each breakdown."""

    wijken: Counter[str | None]
    buurten: Counter[str | None]
    channels: Counter[str]
    age_bands: Counter[str]
    life_areas: Counter[str]
    no_fixed_address: int


def _received(query: _Query) -> _Received:
    """One pass over the period's requests, grouped by neighbourhood, district, channel and
    age band (a few thousand groups at most); the breakdowns are sums over those groups."""
    rows = db.session.execute(
        select(_F.wijk_code, _F.buurt_code, _F.channel, _F.age_band, func.count(),
               func.count(case((_F.no_fixed_address.is_(True), 1))),
               *(func.count(case((has_bit(_F.life_areas, bit), 1)))
                 for bit in LIFE_AREA_BITS.values()))
        .where(*query.requests(in_period=True), query.received)
        .group_by(_F.wijk_code, _F.buurt_code, _F.channel, _F.age_band)).all()
    received = _Received(Counter(), Counter(), Counter(), Counter(), Counter(), 0)
    no_fixed_address = 0
    for wijk, buurt, channel, age_band, count, without_address, *areas in rows:
        received.wijken[wijk] += count
        received.buurten[buurt] += count
        received.channels[channel] += count
        received.age_bands[age_band] += count
        received.life_areas.update(dict(zip(LIFE_AREAS, areas, strict=True)))
        no_fixed_address += without_address
    return replace(received, no_fixed_address=no_fixed_address)


def _referrals(query: _Query) -> tuple[Counter[str], Counter[str]]:
    """The filter's referrals made in the period, by state and by domain (one pass)."""
    rows = db.session.execute(
        select(_R.state, _R.domain, func.count())
        .where(*query.referral, query.in_period(_R.created_at))
        .group_by(_R.state, _R.domain)).all()
    states: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    for state, domain, count in rows:
        states[state] += count
        domains[domain] += count
    return states, domains


# --- Durations and percentiles ---------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How many durations, and their median and 90th percentile in days (None: none)."""

    count: int
    median: float | None
    p90: float | None


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: linear between the two nearest of the sorted values."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def distributions(durations: Select[*tuple[Any, ...]]) -> dict[str, Distribution]:
    """Per labelled column of ``durations`` (seconds), the count, median and 90th
    percentile in days, NULLs left out. PostgreSQL computes them in one query; SQLite has no
    percentiles, so each column is read sorted (fine for the embedded demo, never used at
    scale) and :func:`percentile` interpolates as ``percentile_cont`` does."""
    inner = durations.subquery()
    found: dict[str, tuple[Any, Any, Any]] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        # Both fractions from one sort per column: percentile_cont of an array.
        fractions = postgresql.array([0.5, 0.9])
        parts = [part for column in inner.c for part in (
            func.count(column),
            func.percentile_cont(fractions, type_=postgresql.ARRAY(Float)).within_group(column))]
        row = db.session.execute(select(*parts)).one()
        for index, column in enumerate(inner.c):
            count, (median, p90) = row[2 * index], row[2 * index + 1] or (None, None)
            found[column.key] = (count, median, p90)
    else:
        for column in inner.c:
            values = [float(value) for value in db.session.scalars(
                select(column).where(column.is_not(None)).order_by(column))]
            found[column.key] = (len(values), percentile(values, 0.5), percentile(values, 0.9))

    def days(number: float | None) -> float | None:
        return None if number is None else round(float(number) / _SECONDS_PER_DAY, 1)

    return {key: Distribution(count=int(count or 0), median=days(median), p90=days(p90))
            for key, (count, median, p90) in found.items()}


def _durations(query: _Query) -> Select[*tuple[Any, ...]]:
    """Per received request of the filter, the seconds from receipt to its first contact, its
    first referral sent and accepted, and its closure: as stored, or (with a filter of
    referrals) the first of the filter's referrals."""
    if not query.by_referral:
        return (select(_F.first_contact_seconds.label("first_contact"),
                       _F.first_referral_seconds.label("first_referral"),
                       _F.first_acceptance_seconds.label("first_acceptance"),
                       _F.closure_seconds.label("closure"))
                .where(*query.requests(in_period=True), query.received))
    firsts = (select(_R.request_id.label("request_id"),
                     func.min(_R.sent_at).label("sent"),
                     func.min(_R.accepted_at).label("accepted"))
              .where(*query.referral, query.in_period(_R.received_at))
              .group_by(_R.request_id).subquery())
    return (select(
        _F.first_contact_seconds.label("first_contact"),
        seconds_between(_F.received_at, firsts.c.sent).label("first_referral"),
        seconds_between(_F.received_at, firsts.c.accepted).label("first_acceptance"),
        _F.closure_seconds.label("closure"))
        .outerjoin(firsts, firsts.c.request_id == _F.request_id)
        .where(*query.requests(in_period=True), query.received))


# --- The tables ------------------------------------------------------------------------------


def _figure(cell: Any) -> Figure:
    return Figure(cell.status, cell.value)


def _single(count: int, rules: Rules) -> Figure:
    """A count that adds up to nothing else on the page."""
    return _figure(protect([[count]], rules, row_totals=False, column_totals=False).cells[0][0])


def _list(counts: Sequence[int], rules: Rules, *, total: bool
          ) -> tuple[list[Figure], Figure | None]:
    """A column of counts, with its total published when ``total``."""
    if not counts:
        return [], _single(0, rules) if total else None
    table = protect([[count] for count in counts], rules, row_totals=False,
                    column_totals=total)
    cells = [_figure(row[0]) for row in table.cells]
    return cells, (_figure(table.column_totals[0]) if table.column_totals else None)


def _count_table(key: str, title: str, row_header: str, column: str,
                 groups: Iterable[tuple[str, str]], counts: dict[Any, int], rules: Rules, *,
                 total: bool = True, only: str | None = None) -> Table:
    """A table of one count per group; ``only``: the filter fixes the group, so the others
    are left out (they are none by definition, which tells nobody anything)."""
    groups = [group for group in groups if only is None or group[0] == only]
    values = [counts.get(code, 0) for code, _label in groups]
    cells, total_cell = _list(values, rules, total=total)
    if total_cell is not None and total_cell.status is Status.HIDDEN:
        cells, total_cell = _keep_total(values, cells, total_cell, rules)
    rows = tuple(Row(code, name, (cell,)) for (code, name), cell in zip(groups, cells,
                                                                        strict=True))
    total_row = Row("total", _("Total"), (total_cell,)) if total_cell is not None else None
    return Table(key, title, row_header, (column,), rows, total_row)


def _keep_total(values: list[int], cells: list[Figure], total: Figure, rules: Rules
                ) -> tuple[list[Figure], Figure]:
    """Where one group holds nearly all and the library hid the total to protect the small
    rest, hide that group instead: the total is the page's headline, published anyway.

    That protects as well when the group can go down (it is over ``min_count``) while a
    small one goes up (one is under ``min_count - 1``): the two move together and the
    total stays, so neither can be worked out."""
    shown = [index for index, cell in enumerate(cells) if cell.shown]
    if len(shown) != 1 or any(cell.status is not Status.SMALL
                              for index, cell in enumerate(cells) if index != shown[0]):
        return cells, total
    big = shown[0]
    room_up = any(values[index] < rules.min_count - 1 for index in range(len(values))
                  if index != big)
    if values[big] <= rules.min_count or not room_up:
        return cells, total
    cells = [Figure(Status.HIDDEN) if index == big else cell for index, cell in enumerate(cells)]
    return cells, Figure(Status.SHOWN, round_to(sum(values), rules.rounding))


def _same_total(headline: Figure | None, tables: list[Table]) -> tuple[bool, list[Table]]:
    """Tables of one population publish one total (the headline's number). Where one of
    them does not show it (to protect its own small cells), it is hidden in all of them and
    in the headline, or the others would give it away. Returns whether to hide the headline's
    number, and the tables."""
    figures = [table.total.cells[0] for table in tables if table.total is not None]
    if headline is not None:
        figures.append(headline)
    if all(figure.shown for figure in figures):
        return False, tables
    hidden = Figure(Status.HIDDEN)
    result = []
    for table in tables:
        if table.total is not None and table.total.cells[0].shown:
            table = replace(table, total=replace(table.total, cells=(hidden,)))
        result.append(table)
    return True, result


def _replace_cell(table: Table, row: int, figure: Figure) -> Table:
    rows = list(table.rows)
    rows[row] = replace(rows[row], cells=(figure, *rows[row].cells[1:]))
    return replace(table, rows=tuple(rows))


def _requests_table(query: _Query, rules: Rules) -> Table:
    def count(*conditions: ColumnElement[bool], in_period: bool = False) -> Any:
        return select(func.count()).where(*query.requests(in_period=in_period),
                                          *conditions).scalar_subquery()

    # Open at the end: received before it and not closed by then, that is still open now
    # or closed after it; each count reads one index (the open and the closed rows').
    before_end = _F.received_at < query.end
    received, closed_count, open_now, closed_after = db.session.execute(select(
        count(query.received, in_period=True),
        count(_F.closed_at.is_not(None), query.in_period(_F.closed_at)),
        count(_F.closed_at.is_(None), before_end),
        count(_F.closed_at.is_not(None), _F.closed_at >= query.end, before_end))).one()
    still_open = open_now + closed_after
    rows = (Row("received", _("Received in the period"), (_single(received, rules),)),
            Row("closed", _("Closed in the period"), (_single(closed_count, rules),)),
            Row("open", _("Open at the end of the period"), (_single(still_open, rules),)))
    return Table("requests", _("Requests"), _("Requests"), (_("Number"),), rows)


def _areas_table(query: _Query, received: _Received, rules: Rules, choices: Choices) -> Table:
    wanted = query.wanted
    title, header = _("Requests received by neighbourhood"), _("Neighbourhood")
    counts: Counter[str | None] = received.buurten
    if wanted.buurt:
        known = {wanted.buurt: choices.buurten.get(wanted.buurt, wanted.buurt)}
        unknown = None
    elif wanted.wijk:
        known = {code: name for code, name in choices.buurten.items()
                 if choices.wijk_of.get(code) == wanted.wijk}
        unknown = _("No neighbourhood known")
    else:
        known, counts = choices.wijken, received.wijken
        title, header = _("Requests received by district"), _("District")
        unknown = _("No district known (no fixed address, address unknown, elsewhere)")
    by_code: dict[Any, int] = dict(counts)
    by_code[UNKNOWN] = sum(count for code, count in counts.items() if code not in known)
    groups = [*known.items(), *(((UNKNOWN, unknown),) if unknown else ())]
    return _count_table("areas", title, header, _("Requests"), groups, by_code, rules)


def _channels_table(query: _Query, received: _Received, rules: Rules) -> Table:
    groups = [(code, label(CHANNEL_LABELS, code)) for code in CHANNELS]
    return _count_table("channels", _("Requests received by channel"), _("Channel"),
                        _("Requests"), groups, dict(received.channels), rules,
                        only=query.wanted.channel)


def _age_bands_table(query: _Query, received: _Received, rules: Rules) -> Table:
    groups = [*((code, label(AGE_BAND_LABELS, code)) for code, _low, _high in AGE_BANDS),
              (UNKNOWN, _("Age not known"))]
    return _count_table("age_bands", _("Requests received by age"), _("Age"), _("Requests"),
                        groups, dict(received.age_bands), rules, only=query.wanted.age_band)


def _life_areas_table(received: _Received, rules: Rules) -> Table:
    groups = [(code, label(LIFE_AREA_LABELS, code)) for code in LIFE_AREAS]
    return _count_table("life_areas", _("Requests received by life area"), _("Life area"),
                        _("Requests"), groups, dict(received.life_areas), rules, total=False)


def _referral_states_table(states: Counter[str], rules: Rules) -> Table:
    groups = [(code, label(REFERRAL_STATE_LABELS, code)) for code in REFERRAL_STATES]
    return _count_table("referral_states", _("Referrals made in the period, by state now"),
                        _("State"), _("Referrals"), groups, dict(states), rules)


def _referral_domains_table(query: _Query, domains: Counter[str], rules: Rules) -> Table:
    groups = [(code, label(DOMAIN_LABELS, code)) for code in DOMAINS]
    return _count_table("referral_domains", _("Referrals made in the period, by domain"),
                        _("Domain"), _("Referrals"), groups, dict(domains), rules,
                        only=query.wanted.domain)


def _situations_table(query: _Query, received: _Received, rules: Rules) -> Table:
    tasks = query.count_tasks((TRANSITION_TASK, REOPEN_TASK))
    rows = (
        Row("no_fixed_address", _("Received from someone without a fixed address"),
            (_single(received.no_fixed_address, rules),)),
        Row("transition_18", _("Turning 18: a warm handover to adult support started"),
            (_single(tasks.get(TRANSITION_TASK, 0), rules),)),
        Row("reopened", _("Not helped, says the resident: looked at again"),
            (_single(tasks.get(REOPEN_TASK, 0), rules),)),
    )
    return Table("situations", _("Situations to watch"), _("Situation"), (_("Requests"),), rows)


def _times_table(query: _Query, rules: Rules) -> Table:
    names = {
        "first_contact": _("To the first contact with the resident"),
        "first_referral": _("To the first referral sent"),
        "first_acceptance": _("To the first referral accepted"),
        "closure": _("To closure"),
    }
    found = distributions(_durations(query))
    rows = []
    for code, name in names.items():
        count = _single(found[code].count, rules)
        if count.shown:
            rows.append(Row(code, name, (count, Figure(Status.SHOWN, found[code].median),
                                         Figure(Status.SHOWN, found[code].p90))))
        else:  # a median of a small group is not shown either
            rows.append(Row(code, name, (count, count, count)))
    return Table("times", _("Days from receipt (requests received in the period)"),
                 _("Step"), (_("Requests that got there"), _("Median (days)"),
                             _("90th percentile (days)")), tuple(rows), chart=False)


__all__ = ["TABLE_KEYS", "Choices", "Distribution", "Figure", "FigureFilter", "Figures", "Row",
           "Table", "choices_for", "distributions", "exported", "figures", "percentile",
           "quick_periods"]
