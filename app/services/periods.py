"""A period of Dutch days as the pages of figures choose it and the services count it: the
one check that it does not end before it starts, with its one message, which the services
raise and the period form (:class:`app.forms.period.PeriodForm`) shows."""

from __future__ import annotations

import datetime as dt

from app.i18n import _
from app.services.errors import InvalidInput


def check_period(first: dt.date, last: dt.date) -> None:
    """Raise InvalidInput (field ``period``) when ``last`` is before ``first``; a period of
    one day (``first == last``) is a period."""
    if last < first:
        raise InvalidInput(_("The end of the period cannot be before its start."), "period")


__all__ = ["check_period"]
