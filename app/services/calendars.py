"""A municipality's calendar (app/calendar.py) from its tenant row."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask import current_app

from app.calendar import NATIONAL, Calendar
from app.models import Tenant


@lru_cache(maxsize=256)
def _calendar(days: tuple[str, ...]) -> Calendar:
    return Calendar.with_closing_days(dt.date.fromisoformat(day) for day in days)


def calendar_for(tenant: Tenant | None) -> Calendar:
    """The Atw calendar plus the tenant's own closing days (``closing_days``)."""
    if tenant is None or not tenant.closing_days:
        return NATIONAL
    return _calendar(tuple(tenant.closing_days))


def response_due(tenant: Tenant, today: dt.date, *, route_days: int | None,
                 ruleset_days: int | None) -> dt.date:
    """The day a referral's answer is due: the route's own working days, else the ruleset's
    default, else the DEFAULT_DEADLINE_DAYS setting; counted on the tenant's calendar."""
    days = route_days or ruleset_days or current_app.config["DEFAULT_DEADLINE_DAYS"]
    return calendar_for(tenant).add_working_days(today, int(days))


__all__ = ["calendar_for", "response_due"]
