"""The forms of the receiving side of a referral, for partners and teams alike
(app/referral_views.py)."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms.base import BaseForm, reason_field
from app.i18n import _l
from app.limits import NOTE_MAX, REASON_MAX
from app.vocabulary import OUTCOME_LABELS


class DeclineForm(BaseForm):
    reason = reason_field(_l("Why do you decline?"), _l("Give a reason for declining."))


class GiveBackForm(BaseForm):
    reason = reason_field(_l("Why do you give it back?"), _l("Give a reason for giving it back."))


class CompleteForm(BaseForm):
    outcome = RadioField(
        _l("How did it end?"),
        choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()],
        validators=[InputRequired(message=_l("Choose how it ended."))],
    )
    note = TextAreaField(
        _l("Note for the neighbourhood team (optional)"),
        validators=[Optional(), Length(max=REASON_MAX, message=_l(
            "Use at most %(max)d characters.", max=REASON_MAX))],
    )


class HandoverNoteForm(BaseForm):
    """The old partner's note for the organisation that takes a referral over (a contract
    that ends: app/services/transfers.py)."""

    note = TextAreaField(
        _l("Handover note for the new organisation"),
        validators=[InputRequired(message=_l("Write the handover note.")),
                    Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters.",
                                                    max=NOTE_MAX))],
    )
