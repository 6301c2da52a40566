"""The form of a contract in the workspace (``/beleid/contracts``): what the municipality
bought or funds from a partner, for which domains and areas, from when to when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms.base import BaseForm
from app.i18n import _, _l
from app.models import Contract
from app.services.contracts import CONTRACT_DOMAINS, KEY_MAX, LOT_MAX, ContractData
from app.vocabulary import DOMAIN_LABELS, FUNDING_LABELS, PRODUCT_LABELS
from referral_rules.vocabulary import FUNDING, PRODUCTS


class _Ticks(SelectMultipleField):
    """Several options as tick boxes (the choice macro draws them)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContractForm(BaseForm):
    key = StringField(_l("Short name"), validators=[
        InputRequired(message=_l("Give the contract a short name.")),
        Length(max=KEY_MAX, message=_l("Use at most %(max)d characters."))])
    partner = SelectField(_l("Organisation"), validate_choice=False,
                          validators=[InputRequired(message=_l("Choose an organisation."))])
    product = SelectField(_l("What is bought or funded"),
                          choices=[SelectChoice("", "")] + [
                              SelectChoice(code, PRODUCT_LABELS[code]) for code in PRODUCTS],
                          validators=[InputRequired(message=_l("Choose what the contract is "
                                                               "for."))])
    lot = StringField(_l("Lot (as the tender names it)"), validators=[
        Optional(), Length(max=LOT_MAX, message=_l("Use at most %(max)d characters."))])
    funding = RadioField(_l("How is it paid?"), default="inkoop",
                         choices=[SelectChoice(code, FUNDING_LABELS[code]) for code in FUNDING],
                         validators=[InputRequired(message=_l("Choose how the contract is "
                                                              "paid."))])
    domains = _Ticks(_l("Domains"), validate_choice=False,
                     choices=[SelectChoice(code, DOMAIN_LABELS[code])
                              for code in CONTRACT_DOMAINS])
    areas = _Ticks(_l("Areas"), validate_choice=False)
    starts_on = DateField(_l("First day"), format="%Y-%m-%d", validators=[
        InputRequired(message=_l("Enter the first day."))])
    ends_on = DateField(_l("Last day"), format="%Y-%m-%d", validators=[Optional()])
    volume = IntegerField(_l("Volume (number of residents for the whole period)"),
                          validators=[Optional(), NumberRange(
                              min=1, message=_l("The volume is a whole number of at least 1, "
                                                "or empty."))])

    def fill_choices(self, partners: Mapping[int, str], areas: Sequence[tuple[str, str]]
                     ) -> None:
        self.partner.choices = [SelectChoice("", "")] + [
            SelectChoice(str(key), name) for key, name in partners.items()]
        self.areas.choices = [SelectChoice(code, name) for code, name in areas]

    def fill_from(self, contract: Contract) -> None:
        """The contract's values, for the form of a change (a GET)."""
        self.key.data, self.partner.data = contract.key, str(contract.partner_id)
        self.product.data, self.lot.data = contract.product, contract.lot
        self.funding.data, self.domains.data = contract.funding, list(contract.domains)
        self.areas.data = list(contract.areas or [])
        self.starts_on.data, self.ends_on.data = contract.starts_on, contract.ends_on
        self.volume.data = contract.volume

    def contract_data(self) -> ContractData:
        """What was typed, as the service checks it (after ``validate``)."""
        return ContractData(
            key=self.key.data or "",
            partner_id=int(self.partner.data) if (self.partner.data or "").isdigit() else 0,
            product=self.product.data or "", starts_on=self.starts_on.data,
            ends_on=self.ends_on.data, domains=tuple(self.domains.data or ()),
            areas=tuple(self.areas.data or ()), lot=self.lot.data or None,
            funding=self.funding.data or "", volume=self.volume.data)


#: The hints of the form's fields, said once for the page.
def hints() -> dict[str, str]:
    return {
        "key": _("For example 'dagbegeleiding-2027'. The tenant file uses the same name."),
        "domains": _("Leave all empty to take the domains of what is bought."),
        "areas": _("Leave all empty for the whole municipality."),
        "ends_on": _("Leave empty when the contract runs until further notice."),
    }
