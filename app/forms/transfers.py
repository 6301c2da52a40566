"""The form of a contract transfer (``/beleid/contracts/transfer``): whose open referrals go,
for which lot, to which successor, from which day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms.base import BaseForm
from app.i18n import _, _l
from app.limits import NOTE_MAX
from app.vocabulary import PRODUCT_LABELS
from referral_rules.vocabulary import PRODUCTS


class TransferForm(BaseForm):
    from_partner = SelectField(_l("Organisation whose contract ends"), validate_choice=False,
                               validators=[InputRequired(message=_l("Choose an organisation."))])
    product = SelectField(_l("Which lot"), validate_choice=False)
    to_partner = SelectField(_l("New organisation"), validate_choice=False,
                             validators=[InputRequired(message=_l("Choose an organisation."))])
    on = DateField(_l("First day the new organisation helps"), format="%Y-%m-%d",
                   validators=[InputRequired(
                       message=_l("Enter the first day the new organisation helps."))])
    note = TextAreaField(_l("Note for the record (optional)"), validators=[
        Optional(), Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters."))])

    def fill_choices(self, partners: Mapping[int, str]) -> None:
        options = [SelectChoice("", "")] + [SelectChoice(str(key), name)
                                            for key, name in partners.items()]
        self.from_partner.choices = list(options)
        self.to_partner.choices = list(options)
        self.product.choices = [SelectChoice("", _("All lots of the organisation"))] + [
            SelectChoice(code, PRODUCT_LABELS[code]) for code in PRODUCTS]

    @staticmethod
    def _id(value: str | None) -> int | None:
        return int(value) if value and value.isdigit() else None

    def values(self) -> tuple[int | None, int | None, str | None, dt.date | None]:
        """What was typed, as :func:`app.services.transfers.plan` takes it: from and to
        partner, product (None: all lots) and the first day."""
        return (self._id(self.from_partner.data), self._id(self.to_partner.data),
                self.product.data or None, self.on.data)
