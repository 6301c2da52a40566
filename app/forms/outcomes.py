"""The outcomes page's choices: a period (:class:`app.forms.period.PeriodForm`), one wijk
and one domain, read from the query string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from wtforms import SelectField

from app.forms.period import PeriodForm
from app.i18n import _, _l
from app.vocabulary import DOMAIN_LABELS
from referral_rules.vocabulary import DOMAINS


@dataclass(frozen=True)
class OutcomesFilter:
    """What the page asks :func:`app.services.outcomes.outcomes_by_partner` for."""

    first: dt.date
    last: dt.date
    wijk_code: str | None = None
    domain: str | None = None

    def params(self) -> dict[str, str]:
        """The query string that asks for this again (links keep the filter)."""
        params = {"start": self.first.isoformat(), "end": self.last.isoformat()}
        if self.wijk_code:
            params["wijk"] = self.wijk_code
        if self.domain:
            params["domain"] = self.domain
        return params


class OutcomesForm(PeriodForm):
    wijk = SelectField(_l("District"), validate_choice=False)
    domain = SelectField(_l("Domain"), validate_choice=False)

    def fill_choices(self, wijken: Mapping[str, str]) -> None:
        """The options: ``wijken`` (code → name) and every domain. A value asked that is not
        one of them stays chosen (as itself), so the form shows what was asked beside its
        message."""
        every = ("", _("All"))
        options = {"wijk": list(wijken.items()),
                   "domain": [(code, str(DOMAIN_LABELS[code])) for code in DOMAINS]}
        for name, known in options.items():
            field = self[name]
            asked = field.data or ""
            extra = [(asked, asked)] if asked and asked not in dict(known) else []
            field.choices = [every, *known, *extra]

    def outcomes_filter(self, wijken: Mapping[str, str], default: tuple[dt.date, dt.date]
                        ) -> OutcomesFilter | None:
        """The filter asked (an empty period: ``default``), or None with a message on each
        field that is not right; the page then shows no figures."""
        period = self.period(default)
        wijk = self.wijk.data or None
        domain = self.domain.data or None
        if wijk is not None and wijk not in wijken:
            self.wijk.errors = [_("This district is not one of your municipality's. Choose "
                                  "one from the list.")]
        if domain is not None and domain not in DOMAINS:
            self.domain.errors = [_("This choice is not known. Choose one from the list.")]
        if period is None or self.wijk.errors or self.domain.errors:
            return None
        return OutcomesFilter(first=period[0], last=period[1], wijk_code=wijk, domain=domain)


__all__ = ["OutcomesFilter", "OutcomesForm"]
