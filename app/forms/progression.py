"""The form for a step on the path to work, on the request page and the referral page."""

from __future__ import annotations

from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.forms.base import BaseForm
from app.i18n import _l
from app.vocabulary import PROGRESSION_STEP_LABELS

#: The form's prefix, so its ids differ from the Wmo step form's on the same page.
PREFIX = "progression"


class ProgressionStepForm(BaseForm):
    step = RadioField(_l("Which step on the path to work?"),
                      choices=[SelectChoice(code, text)
                               for code, text in PROGRESSION_STEP_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose a step."))])
    happened_on = DateField(_l("Since which date?"), format="%Y-%m-%d",
                            validators=[InputRequired(message=_l("Enter a date."))])
