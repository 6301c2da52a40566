"""The public statistics page (``/<tenant>/cijfers``): the municipality's figures per wijk and
quarter, for anyone, without logging in. What each figure means is said in
:mod:`app.services.public_statistics`; this module only lays the protected numbers out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_babel import format_date

from app.i18n import _
from app.resident import bp, tenant_or_404
from app.services import public_statistics as service
from app.services.small_numbers import cell_text
from app.vocabulary import DOMAIN_LABELS, LIFE_AREA_LABELS
from disclosure import Rules, Status
from referral_rules.vocabulary import LIFE_AREAS


@dataclass(frozen=True)
class Shown:
    """One cell as the page shows it: its text and its status (shown, small, hidden)."""

    text: str
    status: str


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[Shown]


def _shown(cell: Any, rules: Rules, unit: str = "count") -> Shown:
    status = {Status.SHOWN: "shown", Status.SMALL: "small"}.get(cell.status, "hidden")
    if cell.value is None and status == "shown":
        status = "hidden"
    return Shown(cell_text(cell, rules, percent=unit == "percent"), status)


def _layout(stats: service.PublicStatistics) -> dict[str, Any]:
    """The page's tables from the published lines: the overview (a row per place) and the
    life areas and referrals (a row per category, a column per place)."""
    places: list[service.Place | None] = [*stats.places, None]
    labels = [(place.name or _("No known district")) if place else _("Whole municipality")
              for place in places]
    by_place: dict[int, dict[tuple[str, str | None], service.Line]] = {}
    for line in service.lines(stats):
        index = places.index(line.place)
        by_place.setdefault(index, {})[(line.figure, line.category)] = line

    def cell(index: int, figure: str, category: str | None = None) -> Shown:
        line = by_place[index][(figure, category)]
        unit = "percent" if figure == "share_helped" else "count"
        return _shown(line, stats.rules, unit)

    overview_figures = [("requests", None), ("closed", None), ("feedback", None),
                        ("share_helped", None), ("median_days", None)]
    overview = [TableRow(labels[i], [cell(i, *figure) for figure in overview_figures])
                for i in range(len(places))]
    life_areas = [TableRow(str(LIFE_AREA_LABELS[area]),
                           [cell(i, "life_areas", area) for i in range(len(places))])
                  for area in LIFE_AREAS]
    referrals = [TableRow(str(DOMAIN_LABELS[domain]),
                          [cell(i, "referrals", domain) for i in range(len(places))])
                 for domain in service.REFERRAL_DOMAINS]
    referrals.append(TableRow(_("All referrals"),
                              [cell(i, "referrals") for i in range(len(places))]))
    return {"labels": labels, "overview": overview, "life_areas": life_areas,
            "referrals": referrals}


@bp.route("/<tenant>/cijfers")
def statistics(tenant: str) -> Any:
    """The figures of the quarter asked for (``?period=2026-Q3``; none: the latest)."""
    tenant_row = tenant_or_404(tenant)
    try:
        period = service.parse_period(request.args.get("period"))
    except service.InvalidPeriod as problem:
        latest = service.latest_period()
        return render_template("resident/statistics.html", tenant=tenant_row, error=str(problem),
                               periods=service.recent_periods(latest), chosen=latest), 400
    stats = service.cached(tenant_row, period)
    return render_template("resident/statistics.html", tenant=tenant_row, stats=stats,
                           periods=service.recent_periods(period), chosen=period,
                           first_day=format_date(period.first_day, "long"),
                           last_day=format_date(period.last_day, "long"), **_layout(stats))
