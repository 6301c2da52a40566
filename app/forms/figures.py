"""The figures page's choices: a period and filters, read from the query string (a GET form,
so a link or a bookmark holds them and nothing changes: no CSRF token)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import SelectField, StringField

from app.forms.base import BaseForm
from app.i18n import _, _l
from app.services.figures import MAX_DAYS, Choices, FigureFilter, quick_periods
from app.vocabulary import AGE_BAND_LABELS, CHANNEL_LABELS, DOMAIN_LABELS, LIFE_AREA_LABELS
from referral_rules.vocabulary import AGE_BANDS, CHANNELS, DOMAINS, LIFE_AREAS

_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")


def _date(text: str) -> dt.date | None:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class FiguresForm(BaseForm):
    class Meta:
        csrf = False

    start = StringField(_l("First day"), render_kw={"type": "date"})
    end = StringField(_l("Last day"), render_kw={"type": "date"})
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
        default_start, default_end = quick_periods(today)["this_quarter"]
        start = self._day(self.start, default_start)
        end = self._day(self.end, default_end)
        if start and end and end < start:
            self.end.errors = [_("The end of the period is before its start.")]
        elif start and end and (end - start).days >= MAX_DAYS:
            self.end.errors = [_("Choose a period of at most five years.")]
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
        if any(field.errors for field in self) or start is None or end is None:
            return None
        return FigureFilter(
            start=start, end=end, wijk=values["wijk"], buurt=values["buurt"],
            domain=values["domain"], life_area=values["life_area"], channel=values["channel"],
            team_id=int(values["team"]) if values["team"] else None,
            partner_id=int(values["partner"]) if values["partner"] else None,
            age_band=values["age_band"])

    def _day(self, field: Any, default: dt.date) -> dt.date | None:
        text = (field.data or "").strip()
        if not text:
            field.data = default.isoformat()
            return default
        day = _date(text)
        if day is None:
            field.errors = [_("Enter a date like 31-12-2026.")]
        return day


def _unknown(name: str) -> str:
    if name == "wijk":
        return _("This district is not one of your municipality's. Choose one from the list.")
    if name == "buurt":
        return _("This neighbourhood is not one of your municipality's. Choose one from the "
                 "list.")
    return _("This choice is not known. Choose one from the list.")
