"""Contracts: which partner may take new referrals for a domain, where, on which day.

The coverage names who is responsible for a domain in an area; a partner only receives a new
referral while it has a live contract for that domain there. A contract term names the
partner (an opaque key), the product or lot bought, its domains, its areas (buurt, wijk or
gemeente codes; none: the whole municipality) and its first and last day (no last day: until
further notice). Plain values in, plain values out: the application turns rows into terms.

A place is given as its codes from the most to the least specific, ``(buurt, wijk,
gemeente)``; a request without a known buurt is ``(None, None, gemeente)``, which only a
contract for the whole municipality (or one naming the gemeente) covers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Choice", "ContractGap", "ContractTerm", "candidates", "check_days", "choose",
           "contract_gaps", "overlapping"]

#: A place: its (buurt, wijk, gemeente) codes, any of them unknown.
Codes = Sequence[str | None]


@dataclass(frozen=True)
class ContractTerm:
    key: str
    partner: str
    product: str
    domains: tuple[str, ...]
    areas: tuple[str, ...]  # empty: the whole municipality
    starts_on: dt.date
    ends_on: dt.date | None = None  # the last day it runs; None: until further notice
    # Capacity: does the service take new referrals; if not, from which day again (None:
    # not known).
    accepting: bool = True
    accepts_again_on: dt.date | None = None

    def live_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def has_room_on(self, day: dt.date) -> bool:
        """Does the service take new referrals on ``day``? A full service takes them again
        from the day it named."""
        return self.accepting or (self.accepts_again_on is not None
                                  and day >= self.accepts_again_on)

    def room_expected_on(self, day: dt.date) -> dt.date | None:
        """The first day from ``day`` on with room, as far as known (None: not known)."""
        if self.has_room_on(day):
            return day
        return self.accepts_again_on

    def specificity(self, codes: Codes) -> int | None:
        """How closely the contract names the place: 0 for its buurt, 1 its wijk, 2 its
        gemeente, 3 for a contract for the whole municipality; None if it does not cover it."""
        if not self.areas:
            return len(codes)
        for position, code in enumerate(codes):
            if code is not None and code in self.areas:
                return position
        return None

    def runs_with(self, other: ContractTerm) -> bool:
        """Do the two periods share a day?"""
        return ((self.ends_on is None or other.starts_on <= self.ends_on)
                and (other.ends_on is None or self.starts_on <= other.ends_on))


def candidates(terms: Iterable[ContractTerm], domain: str, codes: Codes, day: dt.date, *,
               preferred: str | None = None,
               excluded: Collection[str] = ()) -> list[ContractTerm]:
    """The live contracts for ``domain`` at the place on ``day``, best first.

    The ``preferred`` partner (the one the coverage names) comes first, then the contract
    that names the place most closely, then the oldest, then by key. One contract per
    partner (its best). Contracts in ``excluded`` (by key: no room, for example) are left
    out.
    """
    ranked: list[tuple[tuple[int, int, dt.date, str], ContractTerm]] = []
    for term in terms:
        if domain not in term.domains or not term.live_on(day) or term.key in excluded:
            continue
        specificity = term.specificity(codes)
        if specificity is None:
            continue
        ranked.append(((0 if term.partner == preferred else 1, specificity, term.starts_on,
                        term.key), term))
    seen: set[str] = set()
    best: list[ContractTerm] = []
    for _rank, term in sorted(ranked, key=lambda item: item[0]):
        if term.partner not in seen:
            seen.add(term.partner)
            best.append(term)
    return best


@dataclass(frozen=True)
class Choice:
    """Where a new referral goes: the contract it is made under and whether it is ``held``
    (no contracted partner has room, so it waits at the one expected to have room first).
    ``contract`` None: nobody has a live contract."""

    contract: ContractTerm | None
    held: bool = False


def choose(terms: Iterable[ContractTerm], domain: str, codes: Codes, day: dt.date, *,
           preferred: str | None = None) -> Choice:
    """The contract to refer ``domain`` to at the place on ``day``.

    The best of :func:`candidates` with room; when none has room, the referral is held at
    the one that said it has room again soonest (one that named no day comes after those
    that did; among equals, the better candidate).
    """
    found = candidates(terms, domain, codes, day, preferred=preferred)
    if not found:
        return Choice(None)
    for term in found:
        if term.has_room_on(day):
            return Choice(term)
    never = dt.date.max
    waiting = min(enumerate(found),
                  key=lambda item: (item[1].room_expected_on(day) or never, item[0]))
    return Choice(waiting[1], held=True)


def _areas_meet(one: ContractTerm, other: ContractTerm, parent_of: Mapping[str, str]) -> bool:
    """Do the two contracts' areas share a place (a buurt lies in its wijk and gemeente)?"""
    if not one.areas or not other.areas:
        return True

    def with_parents(code: str) -> set[str]:
        found = {code}
        while code in parent_of and parent_of[code] not in found:
            code = parent_of[code]
            found.add(code)
        return found

    return any(b in with_parents(a) or a in with_parents(b)
               for a in one.areas for b in other.areas)


def overlapping(term: ContractTerm, others: Iterable[ContractTerm],
                parent_of: Mapping[str, str] | None = None) -> list[ContractTerm]:
    """The other contracts of the same partner for the same product whose period and areas
    meet this one's: a partner holds one contract per product, place and day."""
    parents = parent_of or {}
    return [other for other in others
            if other.key != term.key and other.partner == term.partner
            and other.product == term.product and term.runs_with(other)
            and _areas_meet(term, other, parents)]


@dataclass(frozen=True, order=True)
class ContractGap:
    """From ``day`` on, ``domain`` has no live contract in ``place`` (a buurt code, or
    None for requests without a known buurt)."""

    day: dt.date
    domain: str
    place: str | None


def check_days(terms: Iterable[ContractTerm], on: dt.date) -> list[dt.date]:
    """The days worth checking from ``on``: that day, and the first day after every contract
    that ends later."""
    days = {on}
    days.update(term.ends_on + dt.timedelta(days=1) for term in terms
                if term.ends_on is not None and term.ends_on >= on)
    return sorted(days)


def contract_gaps(needs: Iterable[tuple[str | None, Codes, str]],
                  terms: Iterable[ContractTerm], on: dt.date) -> list[ContractGap]:
    """Where a partner is responsible but no partner has a live contract.

    ``needs`` are the (place, codes, domain) the coverage gives to a partner. Each is checked
    on ``on`` and on the first day after each contract ends; a gap is reported once, on the
    first of those days it has no contract.
    """
    terms = list(terms)
    days = check_days(terms, on)
    gaps: list[ContractGap] = []
    for place, codes, domain in needs:
        for day in days:
            if not candidates(terms, domain, codes, day):
                gaps.append(ContractGap(day=day, domain=domain, place=place))
                break
    return sorted(gaps, key=lambda gap: (gap.day, gap.domain, gap.place or ""))
