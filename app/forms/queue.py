"""The form that saves the queue's current filter under a name (the filter itself comes from
the queue's own parameters, not from this form)."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.forms.base import BaseForm
from app.i18n import _l
from app.limits import SAVED_FILTER_NAME_MAX


class SaveFilterForm(BaseForm):
    name = StringField(_l("Name of this filter"), validators=[
        InputRequired(message=_l("Give the filter a name.")),
        Length(max=SAVED_FILTER_NAME_MAX,
               message=_l("Use at most %(max)d characters.", max=SAVED_FILTER_NAME_MAX))])
