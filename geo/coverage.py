"""Coverage: which team or partner is responsible for which domain in which buurt.

An assignment names an area (buurt, wijk or gemeente code), a domain and who is
responsible. For a buurt the most specific level with an assignment decides (buurt, then
wijk, then gemeente). A (buurt, domain) with nobody is a gap; with more than one at that
level, an overlap. Both must be empty before a coverage file is accepted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Assignment", "CoverageReport", "check_coverage", "responsible_for"]


@dataclass(frozen=True)
class Assignment:
    area_code: str
    domain: str
    responsible: str  # an opaque key such as "team:3" or "partner:schuldhulp"


@dataclass(frozen=True)
class CoverageReport:
    gaps: list[tuple[str, str]] = field(default_factory=list)  # (buurt, domain)
    overlaps: list[tuple[str, str, list[str]]] = field(default_factory=list)
    unknown_areas: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.overlaps or self.unknown_areas)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "gaps": [{"buurt": b, "domain": d} for b, d in self.gaps],
            "overlaps": [{"buurt": b, "domain": d, "responsible": r} for b, d, r in self.overlaps],
            "unknown_areas": list(self.unknown_areas),
        }


def _index(assignments: Iterable[Assignment]) -> dict[tuple[str, str], set[str]]:
    by_area: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in assignments:
        by_area[(item.area_code, item.domain)].add(item.responsible)
    return by_area


def responsible_for(
    buurt: tuple[str, str | None, str | None],
    domain: str,
    assignments: Iterable[Assignment],
) -> list[str]:
    """Who is responsible for ``domain`` in ``buurt`` = (buurt, wijk, gemeente) codes.

    Returns the responsibles at the most specific level that has any (sorted); one is
    right, none is a gap, more than one an overlap.
    """
    return _responsible(buurt, domain, _index(assignments))


def _responsible(
    buurt: tuple[str, str | None, str | None],
    domain: str,
    by_area: dict[tuple[str, str], set[str]],
) -> list[str]:
    for code in buurt:
        if code and (code, domain) in by_area:
            return sorted(by_area[(code, domain)])
    return []


def check_coverage(
    buurten: Sequence[tuple[str, str | None, str | None]],
    domains: Iterable[str],
    assignments: Iterable[Assignment],
) -> CoverageReport:
    """Every (buurt, domain) must have exactly one responsible."""
    assignments = list(assignments)
    by_area = _index(assignments)
    known = {code for row in buurten for code in row if code}
    gaps: list[tuple[str, str]] = []
    overlaps: list[tuple[str, str, list[str]]] = []
    domain_list = list(domains)
    for row in sorted(buurten):
        for domain in domain_list:
            found = _responsible(row, domain, by_area)
            if not found:
                gaps.append((row[0], domain))
            elif len(found) > 1:
                overlaps.append((row[0], domain, found))
    unknown = sorted({item.area_code for item in assignments} - known)
    return CoverageReport(gaps=gaps, overlaps=overlaps, unknown_areas=unknown)
