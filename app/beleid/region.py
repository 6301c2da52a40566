"""The region's figures (``/beleid/region``): the member municipalities' published totals of a
quarter side by side, and their sum (:mod:`app.services.region_statistics`)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from app.auth import roles_required
from app.beleid import _tenant, bp
from app.extensions import db
from app.i18n import _
from app.models import Region, Tenant
from app.roles import FIGURES_ROLES
from app.services import public_statistics, region_statistics
from app.services.legal import local_today
from app.services.public_statistics import InvalidPeriod
from app.services.small_numbers import cell_text, rules_for
from disclosure import Rules


def _headings() -> list[str]:
    """The columns, in the order of region_statistics.FIGURES."""
    return [_("Requests received"), _("Referrals sent"), _("Requests closed"),
            _("Answers to the feedback question"), _("Of which helped")]


@bp.route("/region")
@roles_required(*FIGURES_ROLES)
def region() -> Any:
    tenant: Tenant = _tenant()
    today = local_today()
    shared = tenant.region_id and _region(tenant.region_id)
    if not shared:
        return render_template("beleid/region.html", stats=None, error=None, region=None)
    latest = public_statistics.latest_period(today)
    try:
        chosen = public_statistics.parse_period(request.args.get("quarter"), today)
    except InvalidPeriod as problem:
        return render_template("beleid/region.html", stats=None, error=str(problem),
                               region=shared, chosen=latest,
                               periods=public_statistics.recent_periods(latest, today)), 422
    stats = region_statistics.compute(shared, chosen)
    rules = {row.tenant.id: rules_for(row.tenant) for row in stats.members}
    rows = [(row.tenant.name, [cell_text(number, rules[row.tenant.id]) for number in row.numbers],
             cell_text(row.share_helped, rules[row.tenant.id], percent=True))
            for row in stats.members]
    strictest = Rules(min_count=max((member.min_count for member in rules.values()),
                                    default=10))
    totals = ([cell_text(number, strictest) for number in stats.totals],
              cell_text(stats.share_helped, strictest, percent=True))
    return render_template("beleid/region.html", stats=stats, error=None, region=shared,
                           rows=rows, totals=totals, headings=_headings(), chosen=chosen,
                           periods=public_statistics.recent_periods(chosen, today))


def _region(region_id: int) -> Region | None:
    return db.session.get(Region, region_id)
