"""A period of Dutch days chosen on a page of figures (``?start=…&end=…``): read from the
query string (a GET form, so a link or a bookmark holds it and nothing changes: no CSRF
token), with a message on the field that is not right. The figures, punctuality, outcomes
and progression pages of the municipality's workspace all choose their period with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import StringField

from app.forms.base import BaseForm
from app.i18n import _, _l
from app.services.errors import InvalidInput
from app.services.periods import check_period

#: The longest period one page covers.
MAX_DAYS = 5 * 366
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")


def parse_day(text: str) -> dt.date | None:
    """A day written as 2026-12-31 (what a date field sends) or 31-12-2026; None otherwise."""
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class PeriodForm(BaseForm):
    """The first and last day of a period; an empty field takes the page's default."""

    class Meta:
        csrf = False

    start = StringField(_l("First day"), render_kw={"type": "date"})
    end = StringField(_l("Last day"), render_kw={"type": "date"})

    def period(self, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date] | None:
        """The period asked, or None with a message on the field that is not right."""
        start = self._day(self.start, default[0])
        end = self._day(self.end, default[1])
        try:
            if start and end:
                check_period(start, end)  # the services' own check, and its message
        except InvalidInput as problem:
            self.end.errors = [str(problem)]
        else:
            if start and end and (end - start).days >= MAX_DAYS:
                self.end.errors = [_("Choose a period of at most five years.")]
        if start is None or end is None or self.end.errors:
            return None
        return start, end

    def _day(self, field: Any, default: dt.date) -> dt.date | None:
        text = (field.data or "").strip()
        if not text:
            field.data = default.isoformat()
            return default
        day = parse_day(text)
        if day is None:
            field.errors = [_("Enter a date like 31-12-2026.")]
        return day
