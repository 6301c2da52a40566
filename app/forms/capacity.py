"""A partner's capacity for one of its services (``/partner/services``): does it take new
referrals, from which day again, and its waiting time."""

from __future__ import annotations

from wtforms import DateField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from app.forms.base import BaseForm
from app.i18n import _l
from app.models import Contract
from app.services.capacity import WAITING_WEEKS_MAX, CapacityData


class CapacityForm(BaseForm):
    accepting = RadioField(_l("Do you take new referrals for this service?"),
                           choices=[SelectChoice("yes", _l("Yes, we have room")),
                                    SelectChoice("no", _l("No, we are full"))],
                           validators=[InputRequired(message=_l("Choose yes or no."))])
    accepts_again_on = DateField(_l("From which day do you take new referrals again?"),
                                 format="%Y-%m-%d", validators=[Optional()])
    waiting_weeks = IntegerField(
        _l("Waiting time for new clients, in weeks"),
        validators=[Optional(), NumberRange(
            min=0, max=WAITING_WEEKS_MAX,
            message=_l("The waiting time is a whole number of weeks from 0 to %(max)d, or "
                       "empty.", max=WAITING_WEEKS_MAX))])

    @classmethod
    def for_contract(cls, contract: Contract, **kwargs: object) -> CapacityForm:
        """The form for ``contract``, filled with its capacity unless posted."""
        form = cls(prefix=f"service-{contract.id}", **kwargs)
        if not form.is_submitted():
            form.accepting.data = "yes" if contract.accepting else "no"
            form.accepts_again_on.data = contract.accepts_again_on
            form.waiting_weeks.data = contract.waiting_weeks
        return form

    def data_for_service(self) -> CapacityData:
        accepting = self.accepting.data == "yes"
        return CapacityData(accepting=accepting,
                            accepts_again_on=None if accepting else self.accepts_again_on.data,
                            waiting_weeks=self.waiting_weeks.data)
