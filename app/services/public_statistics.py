"""Public statistics: a municipality's figures per wijk and quarter, for anyone to read.

What is published for a tenant and a quarter (``2026-Q3``, a quarter in Dutch time), per wijk
and for the whole municipality:

``requests``
    Requests received in the quarter (``created_at``). A request merged into another as its
    duplicate is not counted: it is the same question.
``life_areas``
    Of those requests, how many mention each life area. A request with three life areas
    counts once in each of the three columns, so a row does not add up to the number of
    requests; the row totals ("mentions") are therefore not published. The column totals are
    the municipality's requests that mention the area.
``referrals``
    Referrals *sent* in the quarter (``Referral.sent_at``: to a partner or another team,
    whatever happened to them afterwards), by domain, in the wijk of their request. A
    referral still waiting for the resident's consent has not been sent and is not counted,
    nor is one that stayed with a duplicate merged into another request (as on the
    workspace's figures page). The row total is the wijk's referrals; the column totals the
    municipality's per domain.
``closed``
    Requests closed in the quarter (``closed_at``), duplicates merged into another left out.
``feedback``
    Of those closed requests, the ones whose resident answered the feedback question:
    ``helped`` ("ja") and ``not_helped`` ("deels" or "nee"). The row total is the number of
    answers.
``share_helped``
    ``helped / answers`` in whole percents, computed from the *published (rounded)* counts:
    a share of the exact counts would give away what the rounding hides.
``median_days``
    The median of the whole days (24 hours, rounded down) from receipt to closure of the
    requests closed in the quarter; halfway between the two middle values for an even number.

The rows are the tenant's wijken (``Area`` rows of kind ``wijk``, named as on the latest map;
a wijk code on a request that no map names is a row of its own, named by its code) and one
row for the requests with **no known wijk** (no fixed address, an address that could not be
placed, or outside every wijk). That row is published like any other: leaving it out of the
table while the municipality's total includes it would let a reader work it out (the total
minus the wijken) even when it is small.

Small numbers never identify anyone: every table goes through :func:`disclosure.protect`
with the tenant's rules (:func:`app.services.small_numbers.rules_for`), so counts are rounded
and small cells suppressed, with secondary suppression. A share or a median is suppressed
(``small``) when its base (the answers, the closed requests) is under ``min_count``, and a
share is ``hidden`` when its count of helped or of answers is not published. Each table is
protected on its own: no two tables are tied by an exact sum (a request can mention several
life areas, and answers and closures are other requests than those received).

Only quarters that are over are published: the figures of a running quarter change every
day, and two days' tables side by side would show the one request in between. Quarters from
:data:`FIRST_PERIOD` (the Wmo 2015 and the Jeugdwet took effect on 1 January 2015) on. A past
quarter's figures can still move a little: a resident may answer the feedback question
later, a request may be merged as a duplicate or placed in another wijk.

A web process keeps a quarter's figures for ``PUBLIC_STATISTICS_CACHE_SECONDS`` (an hour
by default; :func:`cached`), the time the API also lets caches keep them: a quarter that is
over changes rarely, and a change (a late answer, a merge) shows within that time.

Every figure is computed by three GROUP BY queries over the quarter's figure rows
(:mod:`app.services.request_figures`, the rows the workspace's figures read too; no loop over
requests in Python): the requests received per wijk with a count per life area, the
referrals sent per wijk and domain, and the closed requests per wijk and whole day with
their answers, from which the median is read. Each reads one index on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, func, select

from app.calendar import Period
from app.calendar import today as local_today
from app.extensions import db
from app.i18n import _
from app.models import Area, ReferralFigure, RequestFigure, Tenant
from app.services.errors import DomainError
from app.services.request_figures import LIFE_AREA_BITS, has_bit
from app.services.small_numbers import rules_for
from app.sql import whole_days
from disclosure import Protected, Rules, Status, protect
from referral_rules.vocabulary import DOMAINS, LIFE_AREAS, OWNER_DOMAIN

#: The columns of the referral table: every domain a referral can go to (the owning
#: wijkteam's own domain never becomes a referral).
REFERRAL_DOMAINS: Final = tuple(domain for domain in DOMAINS if domain != OWNER_DOMAIN)
#: The columns of the feedback table.
FEEDBACK_COLUMNS: Final = ("helped", "not_helped")
#: The resident's answers (app.vocabulary.FEEDBACK_LABELS) in each column.
HELPED: Final = ("ja",)
NOT_HELPED: Final = ("deels", "nee")

_PERIOD = re.compile(r"(\d{4})-Q([1-4])")


# --- Periods ------------------------------------------------------------------------------

#: The first quarter published: the Wmo 2015 and the Jeugdwet began on 1 January 2015.
FIRST_PERIOD: Final = Period(2015, 1)


class InvalidPeriod(DomainError):
    """The period asked for is ill-formed, before :data:`FIRST_PERIOD` or not over yet;
    ``str(exc)`` says which, in the current language."""

    status_code = 400


def latest_period(today: dt.date | None = None) -> Period:
    """The last quarter that is over (in Dutch time)."""
    return Period.of(today or local_today()).previous()


def parse_period(text: str | None, today: dt.date | None = None) -> Period:
    """The published quarter ``text`` names (``2026-Q3``; None or empty: the latest).

    Raises :class:`InvalidPeriod` for anything else: another spelling, a quarter before
    :data:`FIRST_PERIOD`, or one that is running or still to come."""
    latest = latest_period(today)
    if text is None or not text.strip():
        return latest
    match = _PERIOD.fullmatch(text.strip().upper())
    if match is None:
        raise InvalidPeriod(_("Give the period as a year and a quarter, such as %(example)s.",
                              example=latest.code))
    period = Period(int(match.group(1)), int(match.group(2)))
    if period < FIRST_PERIOD:
        raise InvalidPeriod(_("There are no figures before %(first)s.", first=FIRST_PERIOD.code))
    if period > latest:
        raise InvalidPeriod(_("%(period)s is not over yet. The figures of a quarter are "
                              "published after it has ended. The latest are those of "
                              "%(latest)s.", period=period.code, latest=latest.code))
    return period


def recent_periods(chosen: Period, today: dt.date | None = None, count: int = 8
                   ) -> list[Period]:
    """The quarters to choose from: the last ``count`` that are over, newest first, with
    ``chosen`` among them."""
    periods = [latest_period(today)]
    while len(periods) < count and periods[-1].previous() >= FIRST_PERIOD:
        periods.append(periods[-1].previous())
    if chosen not in periods:
        periods.append(chosen)
    return sorted(periods, reverse=True)


# --- The result ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """A row: a wijk, or (``code`` None) the requests with no known wijk."""

    code: str | None
    name: str | None


@dataclass(frozen=True)
class Figure:
    """A share (whole percents) or a median (days), or why it is not published."""

    status: Status
    value: float | None = None

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN


@dataclass(frozen=True)
class PublicStatistics:
    """One quarter of one municipality, protected. The tables' rows follow ``places``;
    ``share_helped`` and ``median_days`` hold one figure per place and the municipality's
    last."""

    tenant_slug: str
    tenant_name: str
    tenant_code: str  # CBS gemeentecode, GM…
    period: Period
    rules: Rules
    places: tuple[Place, ...]
    requests: Protected  # one column; the column total is the municipality's
    life_areas: Protected  # columns LIFE_AREAS; column totals only
    referrals: Protected  # columns REFERRAL_DOMAINS; row, column and grand totals
    closed: Protected  # one column; the column total is the municipality's
    feedback: Protected  # columns FEEDBACK_COLUMNS; row, column and grand totals
    share_helped: tuple[Figure, ...]
    median_days: tuple[Figure, ...]


# --- SQL ----------------------------------------------------------------------------------

#: The rows read: the requests' and the referrals' figure rows
#: (:mod:`app.services.request_figures`; merged duplicates have none).
_F = RequestFigure
_R = ReferralFigure

def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    start, end = period.bounds()
    return and_(column >= start, column < end)


def _places(tenant: Tenant, codes_found: set[str | None]) -> tuple[Place, ...]:
    """The tenant's wijken by name, a row for any other wijk code found, and the row of no
    known wijk last."""
    names: dict[str, str] = {}
    for code, name in db.session.execute(
            select(Area.code, Area.name).where(Area.tenant_id == tenant.id, Area.kind == "wijk")
            .order_by(Area.year, Area.id)):
        names[code] = name  # the latest map's name wins
    for found in codes_found:
        if found is not None and found not in names:
            names[found] = found
    wijken = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    return (*(Place(code, name) for code, name in wijken), Place(None, None))


def compute(tenant: Tenant, period: Period) -> PublicStatistics:
    """The protected figures of ``tenant`` for ``period`` (see the module's docstring)."""
    received: dict[str | None, list[int]] = {}
    for wijk, total, *areas in db.session.execute(
            select(_F.wijk_code, func.count(),
                   *(_count_if(has_bit(_F.life_areas, LIFE_AREA_BITS[area]))
                     for area in LIFE_AREAS))
            .where(_F.tenant_id == tenant.id, _in_period(_F.received_at, period))
            .group_by(_F.wijk_code)):
        received[wijk] = [int(total), *(int(n) for n in areas)]

    sent: dict[str | None, dict[str, int]] = {}
    for wijk, domain, number in db.session.execute(
            select(_R.wijk_code, _R.domain, func.count())
            .where(_R.tenant_id == tenant.id, _R.sent_at.is_not(None),
                   _in_period(_R.sent_at, period))
            .group_by(_R.wijk_code, _R.domain)):
        sent.setdefault(wijk, {})[domain] = int(number)

    # Per wijk and whole day from receipt to closure: closed requests and their answers.
    days = whole_days(_F.closure_seconds)
    closures: dict[str | None, list[tuple[int, int, int, int]]] = {}
    for wijk, day, number, helped, not_helped in db.session.execute(
            select(_F.wijk_code, days, func.count(), _count_if(_F.feedback.in_(HELPED)),
                   _count_if(_F.feedback.in_(NOT_HELPED)))
            .where(_F.tenant_id == tenant.id, _F.closed_at.is_not(None),
                   _in_period(_F.closed_at, period))
            .group_by(_F.wijk_code, days)):
        closures.setdefault(wijk, []).append((int(day), int(number), int(helped),
                                              int(not_helped)))

    places = _places(tenant, set(received) | set(sent) | set(closures))
    rules = rules_for(tenant)
    zeros = [0] * (1 + len(LIFE_AREAS))
    received_rows = [received.get(place.code, zeros) for place in places]
    referral_rows = [[sent.get(place.code, {}).get(domain, 0) for domain in REFERRAL_DOMAINS]
                     for place in places]
    closure_rows = [closures.get(place.code, []) for place in places]
    closed_rows = [[sum(n for _d, n, _h, _nh in rows)] for rows in closure_rows]
    feedback_rows = [[sum(h for *_r, h, _nh in rows), sum(nh for *_r, nh in rows)]
                     for rows in closure_rows]

    feedback = protect(feedback_rows, rules)
    histograms = [[(d, n) for d, n, _h, _nh in rows] for rows in closure_rows]
    histograms.append([pair for rows in histograms for pair in rows])
    return PublicStatistics(
        tenant_slug=tenant.slug, tenant_name=tenant.name, tenant_code=tenant.gemeentecode,
        period=period, rules=rules,
        places=places,
        requests=protect([[row[0]] for row in received_rows], rules, row_totals=False),
        life_areas=protect([row[1:] for row in received_rows], rules, row_totals=False),
        referrals=protect(referral_rows, rules),
        closed=protect(closed_rows, rules, row_totals=False),
        feedback=feedback,
        share_helped=_shares(feedback),
        median_days=tuple(_median(histogram, rules) for histogram in histograms),
    )


#: At most this many quarters of municipalities are kept per process.
_CACHE_MAX: Final = 512


def cached(tenant: Tenant, period: Period) -> PublicStatistics:
    """:func:`compute`, kept by this app for ``PUBLIC_STATISTICS_CACHE_SECONDS`` per tenant,
    quarter and rules (a stricter rule takes effect at once)."""
    seconds = int(current_app.config.get("PUBLIC_STATISTICS_CACHE_SECONDS", 0))
    if seconds <= 0:
        return compute(tenant, period)
    kept: dict[tuple[int, Period, Rules], tuple[float, PublicStatistics]] = (
        current_app.extensions.setdefault("public_statistics", {}))
    key = (tenant.id, period, rules_for(tenant))
    now = time.monotonic()
    found = kept.get(key)
    if found is not None and found[0] > now:
        return found[1]
    stats = compute(tenant, period)
    if len(kept) >= _CACHE_MAX:
        kept.clear()
    kept[key] = (now + seconds, stats)
    return stats


# --- Shares and medians -------------------------------------------------------------------

def _shares(feedback: Protected) -> tuple[Figure, ...]:
    assert feedback.row_totals is not None and feedback.column_totals is not None
    assert feedback.total is not None
    lines = [(row[0], total) for row, total in zip(feedback.cells, feedback.row_totals,
                                                   strict=True)]
    lines.append((feedback.column_totals[0], feedback.total))
    return tuple(_share(helped, answers) for helped, answers in lines)


def _share(helped: Any, answers: Any) -> Figure:
    if answers.status is Status.SMALL:
        return Figure(Status.SMALL)
    if not (helped.shown and answers.shown) or not answers.value:
        return Figure(Status.HIDDEN)
    return Figure(Status.SHOWN, float(round(100 * helped.value / answers.value)))


def _median(histogram: Sequence[tuple[int, int]], rules: Rules) -> Figure:
    """The median of the days in ``histogram`` ((days, how many) pairs), or small when
    they are fewer than ``rules.min_count``."""
    counts: dict[int, int] = {}
    for day, number in histogram:
        counts[day] = counts.get(day, 0) + number
    size = sum(counts.values())
    if size < rules.min_count:
        return Figure(Status.SMALL)
    middle = [(size - 1) // 2, size // 2]  # positions of the middle value(s), from 0
    values: list[int] = []
    seen = 0
    for day in sorted(counts):
        seen += counts[day]
        while middle and middle[0] < seen:
            values.append(day)
            middle.pop(0)
    return Figure(Status.SHOWN, sum(values) / 2)


# --- One figure per line (CSV, JSON) ------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One published number: for a place (None: the municipality), a figure and a category
    of it (a life area, a domain, ``helped``…; None when the figure has none)."""

    place: Place | None
    figure: str
    category: str | None
    status: Status
    value: float | None


def lines(stats: PublicStatistics) -> Iterator[Line]:
    """Every published number, place by place, the municipality last."""
    places: list[Place | None] = [*stats.places, None]
    for index, place in enumerate(places):
        yield from _place_lines(stats, index, place)


def _cell(table: Protected, index: int, column: int | None) -> Any:
    """Row ``index`` of ``table`` (the column totals at ``len``), ``column`` None: its
    total."""
    rows = len(table.cells)
    if index < rows:
        if column is None:
            assert table.row_totals is not None
            return table.row_totals[index]
        return table.cells[index][column]
    if column is None:
        return table.total
    assert table.column_totals is not None
    return table.column_totals[column]


def _place_lines(stats: PublicStatistics, index: int, place: Place | None) -> Iterator[Line]:
    def line(figure: str, category: str | None, cell: Any) -> Line:
        value = None if cell.value is None else float(cell.value)
        return Line(place, figure, category, cell.status, value)

    yield line("requests", None, _cell(stats.requests, index, 0))
    for column, area in enumerate(LIFE_AREAS):
        yield line("life_areas", area, _cell(stats.life_areas, index, column))
    yield line("referrals", None, _cell(stats.referrals, index, None))
    for column, domain in enumerate(REFERRAL_DOMAINS):
        yield line("referrals", domain, _cell(stats.referrals, index, column))
    yield line("closed", None, _cell(stats.closed, index, 0))
    yield line("feedback", None, _cell(stats.feedback, index, None))
    for column, answer in enumerate(FEEDBACK_COLUMNS):
        yield line("feedback", answer, _cell(stats.feedback, index, column))
    yield line("share_helped", None, stats.share_helped[index])
    yield line("median_days", None, stats.median_days[index])


__all__ = ["FEEDBACK_COLUMNS", "FIRST_PERIOD", "Figure", "InvalidPeriod", "Line", "Period",
           "Place", "PublicStatistics", "REFERRAL_DOMAINS", "cached", "compute", "latest_period",
           "lines", "parse_period", "recent_periods"]
