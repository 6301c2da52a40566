"""The choices of the workspace's page about the path to work: a period
(:class:`app.forms.period.PeriodForm`) and, optionally, one district, read from the query
string. (Recording a step is :mod:`app.forms.progression`.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from wtforms import SelectField

from app.forms.period import PeriodForm
from app.i18n import _, _l
from app.services.figures import quick_periods
from app.services.progression import PathFilter


class ProgressionFiguresForm(PeriodForm):
    wijk = SelectField(_l("District"), validate_choice=False)

    def fill_choices(self, wijken: Mapping[str, str]) -> None:
        """The districts to choose from (code → name); a code asked that is not one of them
        stays chosen (as itself), so the form shows what was asked beside its message."""
        asked = self.wijk.data or ""
        extra = [(asked, asked)] if asked and asked not in wijken else []
        self.wijk.choices = [("", _("All")), *wijken.items(), *extra]

    def path_filter(self, wijken: Mapping[str, str], today: dt.date) -> PathFilter | None:
        """The filter asked (by default this quarter, every district), or None with a
        message on each field that is not right."""
        period = self.period(quick_periods(today)["this_quarter"])
        wijk = self.wijk.data or None
        if wijk is not None and wijk not in wijken:
            self.wijk.errors = [_("This district is not one of your municipality's. Choose "
                                  "one from the list.")]
        if period is None or self.wijk.errors:
            return None
        return PathFilter(start=period[0], end=period[1], wijk=wijk)
