"""A region's figures: the sum of its member municipalities' public, protected figures.

Each municipality's data stays in its own tenant, and nothing about a member is shown that
its own public statistics (:mod:`app.services.public_statistics`) do not already publish: a
member's row is its published municipality total, a number rounded and checked for small
numbers by that member's rules. The region's total of a figure is the sum of its members'
published numbers, and only when every member publishes the figure: a member whose figure is
suppressed makes the region's total suppressed too, since the true total minus the others'
published numbers would give the suppressed one away. The share helped is computed from the
region's published counts, as a member's is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.calendar import Period
from app.models import Region, Tenant
from app.services import public_statistics, regions
from disclosure import Status

#: The figures a region sums: (figure, category) of :func:`public_statistics.lines`.
FIGURES: Final = (("requests", None), ("referrals", None), ("closed", None),
                  ("feedback", None), ("feedback", "helped"))


@dataclass(frozen=True)
class Number:
    """A published number, or why there is none (``status``)."""

    status: Status
    value: int | None = None  # a count, or a share in whole percents

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN and self.value is not None


@dataclass(frozen=True)
class MemberRow:
    tenant: Tenant
    numbers: tuple[Number, ...]  # one per FIGURES
    share_helped: Number


@dataclass(frozen=True)
class RegionStatistics:
    region: Region
    period: Period
    members: tuple[MemberRow, ...]
    totals: tuple[Number, ...]  # one per FIGURES
    share_helped: Number


def _member(tenant: Tenant, period: Period) -> MemberRow:
    stats = public_statistics.cached(tenant, period)
    found = {(line.figure, line.category): Number(
                 line.status, None if line.value is None else round(line.value))
             for line in public_statistics.lines(stats) if line.place is None}
    return MemberRow(tenant, tuple(found[key] for key in FIGURES),
                     found[("share_helped", None)])


def _sum(numbers: list[Number]) -> Number:
    if not numbers:
        return Number(Status.SHOWN, 0)
    if all(number.shown for number in numbers):
        return Number(Status.SHOWN, sum(number.value or 0 for number in numbers))
    return Number(Status.HIDDEN)


def _share(helped: Number, answers: Number) -> Number:
    if not helped.shown or not answers.shown or not answers.value:
        return Number(Status.HIDDEN if answers.value != 0 else Status.SMALL)
    return Number(Status.SHOWN, round(100 * (helped.value or 0) / answers.value))


def compute(region: Region, period: Period) -> RegionStatistics:
    """The region's figures for ``period``: every member's published totals and their sum."""
    members = tuple(_member(tenant, period) for tenant in regions.members(region.id))
    totals = tuple(_sum([row.numbers[index] for row in members])
                   for index in range(len(FIGURES)))
    answers, helped = FIGURES.index(("feedback", None)), FIGURES.index(("feedback", "helped"))
    return RegionStatistics(region=region, period=period, members=members, totals=totals,
                            share_helped=_share(totals[helped], totals[answers]))


__all__ = ["FIGURES", "MemberRow", "Number", "RegionStatistics", "compute"]
