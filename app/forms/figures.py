"""The figures page's choices: a period (:class:`app.forms.period.PeriodForm`) and filters,
read from the query string."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import SelectField

from app.forms.period import PeriodForm
from app.i18n import _, _l
from app.services.figures import Choices, FigureFilter, quick_periods
from app.vocabulary import AGE_BAND_LABELS, CHANNEL_LABELS, DOMAIN_LABELS, LIFE_AREA_LABELS
from referral_rules.vocabulary import AGE_BANDS, CHANNELS, DOMAINS, LIFE_AREAS


class FiguresForm(PeriodForm):
    wijk = SelectField(_l("District"), validate_choice=False)
    buurt = SelectField(_l("Neighbourhood"), validate_choice=False)
    domain = SelectField(_l("Domain"), validate_choice=False)
    life_area = SelectField(_l("Life area"), validate_choice=False)
    channel = SelectField(_l("Channel"), validate_choice=False)
    team = SelectField(_l("Owning team"), validate_choice=False)
    partner = SelectField(_l("Partner organisation"), validate_choice=False)
    age_band = SelectField(_l("Age"), validate_choice=False)

    def fill_choices(self, choices: Choices) -> None:
        """Every filter's options; a value asked that is not one of them stays chosen (as
        itself), so the form shows what was asked beside its message."""
        every = ("", _("All"))
        options: dict[str, list[tuple[str, str]]] = {
            "wijk": [*choices.wijken.items()],
            "buurt": [*choices.buurten.items()],
            "domain": [(code, str(DOMAIN_LABELS[code])) for code in DOMAINS],
            "life_area": [(code, str(LIFE_AREA_LABELS[code])) for code in LIFE_AREAS],
            "channel": [(code, str(CHANNEL_LABELS[code])) for code in CHANNELS],
            "team": [(str(key), name) for key, name in choices.teams.items()],
            "partner": [(str(key), name) for key, name in choices.partners.items()],
            "age_band": [(code, str(AGE_BAND_LABELS[code])) for code, _low, _high in AGE_BANDS],
        }
        for name, known in options.items():
            field = self[name]
            asked = field.data or ""
            extra = [(asked, asked)] if asked and asked not in dict(known) else []
            field.choices = [every, *known, *extra]

    def figure_filter(self, choices: Choices, today: dt.date) -> FigureFilter | None:
        """The filter asked, or None with a message on each field that is not right (the
        page then shows no figures: none for a choice that is not one)."""
        period = self.period(quick_periods(today)["this_quarter"])
        known = {"wijk": choices.wijken, "buurt": choices.buurten,
                 "domain": DOMAINS, "life_area": LIFE_AREAS, "channel": CHANNELS,
                 "team": {str(key) for key in choices.teams},
                 "partner": {str(key) for key in choices.partners},
                 "age_band": {code for code, _low, _high in AGE_BANDS}}
        values: dict[str, Any] = {}
        for name, codes in known.items():
            asked = self[name].data or ""
            if asked and asked not in codes:
                self[name].errors = [_unknown(name)]
            values[name] = asked or None
        if not any(field.errors for field in self) and values["wijk"] and values["buurt"] \
                and choices.wijk_of.get(values["buurt"]) != values["wijk"]:
            self.buurt.errors = [_("This neighbourhood is not in the chosen district.")]
        if any(field.errors for field in self) or period is None:
            return None
        return FigureFilter(
            start=period[0], end=period[1], wijk=values["wijk"], buurt=values["buurt"],
            domain=values["domain"], life_area=values["life_area"], channel=values["channel"],
            team_id=int(values["team"]) if values["team"] else None,
            partner_id=int(values["partner"]) if values["partner"] else None,
            age_band=values["age_band"])


def _unknown(name: str) -> str:
    if name == "wijk":
        return _("This district is not one of your municipality's. Choose one from the list.")
    if name == "buurt":
        return _("This neighbourhood is not one of your municipality's. Choose one from the "
                 "list.")
    return _("This choice is not known. Choose one from the list.")
