"""The one calendar every deadline uses: Dutch days, working days and legal terms.

Plain values in and out (no Flask, no database), so the scheduler, the queue's stored clock,
the cracks report and the tests all count the same way.

**Holidays (Algemene termijnenwet, Atw).** Art. 3 lid 1 names the generally recognised
holidays: Nieuwjaarsdag, the Christian second Easter day and second Pentecost day, both
Christmas days, Hemelvaartsdag, the day on which the King's birthday is celebrated, and
5 May (every year, not only in lustrum years as the ``holidays`` package has it). Art. 3
lid 2 equates Good Friday with them. Art. 3 lid 3 lets the government equate more days by
decree, published in the Staatscourant for three years at a time; those decrees have always
equated the bridge days :func:`decreed_days` lists (the Friday after Ascension, and the
Monday before or the Friday after a holiday on a Tuesday or a Thursday). The King's birthday
(27 April) is celebrated on the 26th when the 27th is a Sunday (Wet van 2013, Stb. 2013,
287, art. 1: "Koningsdag").

**Terms.** Atw art. 1: a term set by law that ends on a Saturday, Sunday or holiday is
extended to the next day that is none of these. Art. 2: a term of at least three days is
extended, where needed, so that it holds at least two days that are none of these.
:meth:`Calendar.legal_term_end` applies both. The Wmo 2015 terms (six weeks after a melding,
art. 2.3.2; two weeks after an application, art. 2.3.5) are such terms.

**Working days** (referral response days, reminders, escalation, the resident's reply days)
are days that are not a Saturday, Sunday or holiday of art. 3 lid 1 and 2, nor one of the
municipality's own closing days (``closing_days`` in its tenant file, for example the Friday
after Ascension when its offices close). The decreed days of lid 3 move legal terms only:
they say when a term ends, not when offices are closed. A local closing day never moves a
legal term: the law does not know it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

LOCAL = ZoneInfo("Europe/Amsterdam")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY = dt.timedelta(days=1)


def today() -> dt.date:
    """Today in the Netherlands (the machine's own date may be UTC's)."""
    return dt.datetime.now(LOCAL).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The Dutch day of a stored moment (naive UTC, as the database keeps them)."""
    return moment.replace(tzinfo=dt.UTC).astimezone(LOCAL).date()


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a Dutch day as stored (naive UTC): a period of days from
    ``day_start(first)`` up to, without, ``day_start(last + 1 day)``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL).astimezone(dt.UTC).replace(
        tzinfo=None)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter in Dutch time."""

    year: int
    quarter: int  # 1..4

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Period:
        return Period(self.year + self.quarter // 4, self.quarter % 4 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The quarter as stored moments (naive UTC): from its first moment, up to and
        without the first moment of the next."""
        return day_start(self.first_day), day_start(self.next().first_day)

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1)


def kings_day(year: int) -> dt.date:
    """The day the King's birthday is celebrated: 27 April, or the 26th when that is a
    Sunday."""
    day = dt.date(year, 4, 27)
    return day - _DAY if day.weekday() == 6 else day


@lru_cache(maxsize=128)
def atw_holidays(year: int) -> dict[dt.date, str]:
    """The holidays of Atw art. 3 lid 1 and lid 2 in ``year``, with their names."""
    easter_sunday = easter(year)
    return {
        dt.date(year, 1, 1): "Nieuwjaarsdag",
        easter_sunday - 2 * _DAY: "Goede Vrijdag",  # art. 3 lid 2
        easter_sunday + _DAY: "Tweede Paasdag",
        kings_day(year): "Koningsdag",
        dt.date(year, 5, 5): "Bevrijdingsdag",
        easter_sunday + 39 * _DAY: "Hemelvaartsdag",
        easter_sunday + 50 * _DAY: "Tweede Pinksterdag",
        dt.date(year, 12, 25): "Eerste Kerstdag",
        dt.date(year, 12, 26): "Tweede Kerstdag",
    }


@lru_cache(maxsize=128)
def decreed_days(year: int) -> dict[dt.date, str]:
    """The days equated with holidays under Atw art. 3 lid 3 in ``year``.

    The decrees (one per three years) follow one pattern, which this reproduces: the Friday
    after Hemelvaartsdag; the Monday before Nieuwjaarsdag, Koningsdag, Bevrijdingsdag or
    Eerste Kerstdag when it falls on a Tuesday; the Friday after Nieuwjaarsdag, Koningsdag,
    Bevrijdingsdag or Tweede Kerstdag when it falls on a Thursday; and a single working day
    left between Bevrijdingsdag and Hemelvaartsdag (6 May when Ascension is on 7 May).
    """
    named = atw_holidays(year)
    by_name = {name: day for day, name in named.items()}
    found: dict[dt.date, str] = {}
    ascension = by_name["Hemelvaartsdag"]
    found[ascension + _DAY] = "Vrijdag na Hemelvaartsdag"
    for name in ("Nieuwjaarsdag", "Koningsdag", "Bevrijdingsdag", "Eerste Kerstdag"):
        if by_name[name].weekday() == 1:
            found[by_name[name] - _DAY] = f"Maandag voor {name}"
    for name in ("Nieuwjaarsdag", "Koningsdag", "Bevrijdingsdag", "Tweede Kerstdag"):
        if by_name[name].weekday() == 3:
            found[by_name[name] + _DAY] = f"Vrijdag na {name}"
    between = by_name["Bevrijdingsdag"] + _DAY
    if between + _DAY == ascension:
        found[between] = "Dag tussen Bevrijdingsdag en Hemelvaartsdag"
    return {day: name for day, name in found.items() if day not in named}


def is_atw_holiday(day: dt.date) -> bool:
    """A holiday of the Algemene termijnenwet (art. 3), decreed days included."""
    return day in atw_holidays(day.year) or day in decreed_days(day.year)


def is_atw_free(day: dt.date) -> bool:
    """A day on which no legal term ends: Saturday, Sunday or an Atw holiday."""
    return day.weekday() >= 5 or is_atw_holiday(day)


@dataclass(frozen=True)
class Calendar:
    """A municipality's calendar: the Atw days plus its own closing days."""

    closing_days: frozenset[dt.date] = frozenset()

    @classmethod
    def with_closing_days(cls, days: Iterable[dt.date]) -> Calendar:
        return cls(frozenset(days))

    def is_working_day(self, day: dt.date) -> bool:
        """Monday–Friday that is no holiday (Atw art. 3 lid 1 and 2) and no local closing
        day."""
        return (day.weekday() < 5 and day not in atw_holidays(day.year)
                and day not in self.closing_days)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += _DAY
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days after ``first`` up to and including ``last``."""
        count = 0
        current = first
        while current < last:
            current += _DAY
            count += self.is_working_day(current)
        return count

    @staticmethod
    @lru_cache(maxsize=4096)  # pure; the figures ask for the same few hundred terms a year
    def legal_term_end(start: dt.date, term: dt.timedelta) -> dt.date:
        """The last day of a legal term of ``term`` counted from the day after ``start``,
        extended by Atw art. 1 and art. 2 (local closing days do not count)."""
        end = start + term
        while is_atw_free(end):  # art. 1
            end += _DAY
        if term.days >= 3:  # art. 2: at least two days that are not free
            while sum(not is_atw_free(start + n * _DAY)
                      for n in range(1, (end - start).days + 1)) < 2:
                end += _DAY
            while is_atw_free(end):
                end += _DAY
        return end


#: The calendar of a municipality without closing days of its own.
NATIONAL = Calendar()


def parse_closing_days(value: object) -> list[dt.date]:
    """The ``closing_days`` of a tenant file: a list of ISO dates; raises ValueError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("closing_days must be a list of dates (YYYY-MM-DD)")
    days: list[dt.date] = []
    for item in value:
        if isinstance(item, dt.datetime):
            raise ValueError(f"closing_days: {item!r} is not a date")
        if isinstance(item, dt.date):
            days.append(item)
            continue
        if not (isinstance(item, str) and _ISO_DATE.fullmatch(item.strip())):
            raise ValueError(f"closing_days: {item!r} is not a date (YYYY-MM-DD)")
        try:
            days.append(dt.date.fromisoformat(item.strip()))
        except ValueError:
            raise ValueError(f"closing_days: {item!r} is not a date (YYYY-MM-DD)") from None
    return sorted(set(days))
