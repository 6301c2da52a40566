"""Open data: the public statistics as JSON and as CSV, without a token.

``GET /api/v1/public/statistics?tenant=SLUG&period=2026-Q3`` and ``…/statistics.csv``: the
same protected figures as the page ``/<tenant>/cijfers`` (see
:mod:`app.services.public_statistics` for what each means). A number that is not published
is ``null`` with its status (``small``: under the tenant's ``min_count``; ``hidden``: hidden
so that a small one cannot be worked out), never the number.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import select

from app.api import _error, bp
from app.extensions import db
from app.i18n import _, force_locale
from app.models import Tenant
from app.services import public_statistics as service
from app.services.export import csv_lines
from disclosure import Status

#: A quarter that is over changes little: caches may keep the answer for an hour.
CACHE_CONTROL = "public, max-age=3600"


def _statistics() -> service.PublicStatistics | tuple[dict[str, Any], int]:
    """The figures the query string asks for, or the error answer."""
    slug = request.args.get("tenant", "")
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    if tenant is None:
        return _error(404, "not_found", "No municipality with this slug: give ?tenant=SLUG.")
    try:
        with force_locale("en"):  # the API speaks English, as its other errors do
            period = service.parse_period(request.args.get("period"))
    except service.InvalidPeriod as problem:
        return _error(400, "invalid_period", str(problem), fields={"period": [str(problem)]})
    return service.cached(tenant, period)


def _value(line: service.Line) -> int | float | None:
    if line.status is not Status.SHOWN or line.value is None:
        return None
    if line.figure == "median_days" and not line.value.is_integer():
        return line.value  # halfway between two whole days
    return int(line.value)


def statistics_json(stats: service.PublicStatistics) -> dict[str, Any]:
    """The JSON document: per place (the wijken, the row of no known wijk, the whole
    municipality) each figure as ``{"value", "status"}``; a figure with categories (life
    areas, domains, answers) has them in ``categories``, each as ``{"value", "status"}``.
    Life areas have no value of their own (mentions are not published), only categories."""
    places: dict[service.Place | None, dict[str, Any]] = {}
    for line in service.lines(stats):
        place = places.setdefault(line.place, _place_json(line.place))
        cell = {"value": _value(line), "status": line.status.value}
        if line.category is None:  # the figure itself (a table's total) comes first
            place["figures"][line.figure] = cell
        else:
            figure = place["figures"].setdefault(line.figure, {})
            figure.setdefault("categories", {})[line.category] = cell
    municipality = places.pop(None)
    return {
        "tenant": {"slug": stats.tenant_slug, "name": stats.tenant_name,
                   "code": stats.tenant_code},
        "period": {"code": stats.period.code, "first_day": stats.period.first_day.isoformat(),
                   "last_day": stats.period.last_day.isoformat()},
        "small_numbers": {"min_count": stats.rules.min_count,
                          "rounding": stats.rules.rounding},
        "wijken": list(places.values()),
        "municipality": municipality,
    }


def _place_json(place: service.Place | None) -> dict[str, Any]:
    if place is None:
        return {"kind": "municipality", "figures": {}}
    return {"kind": "wijk" if place.code else "no_known_wijk", "code": place.code,
            "name": place.name, "figures": {}}


@bp.get("/public/statistics")
def public_statistics() -> Any:
    found = _statistics()
    if isinstance(found, tuple):
        return found
    return statistics_json(found), 200, {"Cache-Control": CACHE_CONTROL}


@bp.get("/public/statistics.csv")
def public_statistics_csv() -> Any:
    """One line per published number (long format), ``;``-separated with a byte-order mark
    for Dutch spreadsheets; a decimal comma in the medians."""
    found = _statistics()
    if isinstance(found, tuple):
        return found
    header = [_("Period"), _("District code"), _("District"), _("Figure"), _("Category"),
              _("Value"), _("Status")]

    def rows() -> Any:
        for line in service.lines(found):
            if line.place is None:
                code, name = found.tenant_code, found.tenant_name
            else:
                code, name = line.place.code or "", line.place.name or _("No known district")
            value = _value(line)
            text = "" if value is None else str(value).replace(".", ",")
            yield [found.period.code, code, name, line.figure, line.category or "", text,
                   line.status.value]

    filename = f"cijfers-{found.tenant_slug}-{found.period.code}.csv"
    return Response(list(csv_lines(header, rows())), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": CACHE_CONTROL})
