"""The punctuality page's choices: a period (:class:`app.forms.period.PeriodForm`, by
default this quarter) and, for an administrator's list of late items, the team, read from
the query string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from wtforms import SelectField

from app.forms.period import PeriodForm
from app.i18n import _, _l
from app.services.figures import quick_periods


@dataclass(frozen=True)
class PunctualityFilter:
    """What the page asks :mod:`app.services.punctuality` for: a period of Dutch days (both
    included) and, for the list of late items, a team (None: the team lead's own)."""

    first: dt.date
    last: dt.date
    team_id: int | None = None

    def params(self) -> dict[str, str]:
        """The query string that asks for this again (links keep the period and team)."""
        params = {"start": self.first.isoformat(), "end": self.last.isoformat()}
        if self.team_id is not None:
            params["team"] = str(self.team_id)
        return params


class PunctualityForm(PeriodForm):
    """The period of the punctuality page."""

    def punctuality_filter(self, today: dt.date) -> PunctualityFilter | None:
        """The period asked (empty: this quarter), or None with a message on the field that
        is not right; the page then shows no figures."""
        period = self.period(quick_periods(today)["this_quarter"])
        if period is None:
            return None
        return PunctualityFilter(first=period[0], last=period[1])


class LateItemsForm(PunctualityForm):
    """The period and the team of the list of late items. A team lead's list is of their
    own team, so only an administrator's page shows the team field."""

    team = SelectField(_l("Team"), validate_choice=False)

    def fill_choices(self, teams: Mapping[int, str]) -> None:
        """The teams to choose from (id → name); a value asked that is not one of them stays
        chosen (as itself), so the form shows what was asked beside its message."""
        known = [(str(key), name) for key, name in teams.items()]
        asked = self.team.data or ""
        extra = [(asked, asked)] if asked and asked not in dict(known) else []
        self.team.choices = [("", _("Choose a team")), *known, *extra]

    def late_filter(self, teams: Mapping[int, str], today: dt.date
                    ) -> PunctualityFilter | None:
        """The period and team asked (no team: None, the team lead's own), or None with a
        message on each field that is not right."""
        wanted = self.punctuality_filter(today)
        asked = self.team.data or ""
        if asked and asked not in {str(key) for key in teams}:
            self.team.errors = [_("This choice is not known. Choose one from the list.")]
        if wanted is None or self.team.errors:
            return None
        return PunctualityFilter(first=wanted.first, last=wanted.last,
                                 team_id=int(asked) if asked else None)


__all__ = ["LateItemsForm", "PunctualityFilter", "PunctualityForm"]
