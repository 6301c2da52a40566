"""The forms on the request page: the steps staff take on a request (app/staff/casework.py)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms.base import BaseForm, reason_field
from app.forms.intake import MultiCheckboxField, phone_field
from app.i18n import _l
from app.limits import (
    BSN_INPUT_MAX,
    CODE_WORD_MAX,
    CODE_WORD_MIN,
    MESSAGE_MAX,
    NOTE_MAX,
    REASON_MAX,
    SAFE_TIMES_MAX,
)
from app.vocabulary import (
    CONTACT_KIND_LABELS,
    DOMAIN_LABELS,
    LIFE_AREA_LABELS,
    RIGHTS_REQUEST_LABELS,
    WMO_STEP_LABELS,
)


class CloseForm(BaseForm):
    note = reason_field(_l("How did the question end?"),
                        _l("Write down how the question ended."))


class WithdrawForm(BaseForm):
    reason = reason_field(_l("Why do you withdraw it?"), _l("Give a reason for withdrawing."))


class WmoStepForm(BaseForm):
    step = RadioField(_l("Which step of the Wmo procedure?"),
                      choices=[SelectChoice(code, text) for code, text in WMO_STEP_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose a step."))])
    day = DateField(_l("On which date?"), format="%Y-%m-%d",
                    validators=[InputRequired(message=_l("Enter a date."))])


class AssignForm(BaseForm):
    """The view fills in the choices: the colleagues of the user's team."""

    colleague = SelectField(_l("Who coordinates this request?"), coerce=int,
                            validators=[InputRequired(message=_l(
                                "Choose a colleague from your team."))])


class HandoverForm(BaseForm):
    """The view fills in the choices: the other teams of the municipality."""

    team = SelectField(_l("To which team?"), coerce=int, validators=[InputRequired(
        message=_l("Choose another team of this municipality."))])
    reason = reason_field(_l("Why should that team take it over?"),
                          _l("Tell the other team why you hand it over."))


class RefuseHandoverForm(BaseForm):
    reason = reason_field(_l("Why does your team not take it over?"),
                          _l("Tell the other team why you do not take it over."))


class BsnForm(BaseForm):
    bsn = StringField(_l("BSN (citizen service number)"),
                      validators=[InputRequired(message=_l("Enter the BSN.")),
                                  Length(max=BSN_INPUT_MAX)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ReferByHandForm(BaseForm):
    """The view fills in the targets: the organisations and the other teams."""

    domain = SelectField(_l("For which domain?"),
                         choices=[SelectChoice(code, text) for code, text in DOMAIN_LABELS.items()],
                         validators=[InputRequired(message=_l("Choose a domain."))])
    target = SelectField(_l("To whom?"), validators=[InputRequired(
        message=_l("Choose an organisation or another team."))])
    reason = reason_field(_l("Why do you refer by hand?"), _l("Say why you refer by hand."))


class LifeAreasForm(BaseForm):
    life_areas = MultiCheckboxField(
        _l("What is the question about?"),
        choices=[SelectChoice(code, text) for code, text in LIFE_AREA_LABELS.items()],
        validators=[InputRequired(message=_l("Choose at least one subject."))])


class AskForm(BaseForm):
    body = TextAreaField(_l("Your question to the resident"), validators=[
        InputRequired(message=_l("Write your question.")),
        Length(max=MESSAGE_MAX, message=_l("Use at most %(max)d characters.", max=MESSAGE_MAX))])


class NoteForm(BaseForm):
    body = TextAreaField(_l("Note"), validators=[
        InputRequired(message=_l("Write a note.")),
        Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters.", max=NOTE_MAX))])
    shareable = BooleanField(_l("Partners who receive a referral may read this note"))


class ContactForm(BaseForm):
    """A contact with the resident, logged by staff (not the intake's contact step,
    :class:`app.forms.intake.ContactForm`)."""

    kind = RadioField(_l("What happened?"),
                      choices=[SelectChoice(code, text)
                               for code, text in CONTACT_KIND_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose what happened."))])
    happened_at = DateTimeLocalField(_l("When? (empty is now)"), format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    note = TextAreaField(_l("Short note (optional)"), validators=[
        Optional(),
        Length(max=REASON_MAX, message=_l("Use at most %(max)d characters.", max=REASON_MAX))])


class ContactUnsafeForm(BaseForm):
    """Mark the request's contact as not safe, with the safe way to reach the resident."""

    safe_phone = phone_field(_l("A safe phone number (optional)"), autocomplete="off")
    safe_times = StringField(_l("When is it safe to call? (optional)"),
                             validators=[Optional(), Length(max=SAFE_TIMES_MAX, message=_l(
                                 "Use at most %(max)d characters.", max=SAFE_TIMES_MAX))],
                             render_kw={"autocomplete": "off"})
    code_word = StringField(_l("A code word the resident chose (optional)"),
                            description=_l("The resident says it to see more on the status "
                                           "page, or when you call. It is stored as a hash."),
                            validators=[Optional(), Length(
                                min=CODE_WORD_MIN, max=CODE_WORD_MAX,
                                message=_l("A code word has %(low)s to %(high)s characters.",
                                           low=CODE_WORD_MIN, high=CODE_WORD_MAX))],
                            render_kw={"autocomplete": "off"})


class ContactSafeForm(BaseForm):
    reason = reason_field(_l("Why is contact safe again?"), _l("Say why contact is safe again."))


class RightsRequestForm(BaseForm):
    """The resident asks to correct or erase data (AVG art. 16, 17)."""

    kind = RadioField(_l("What does the resident ask?"),
                      choices=[SelectChoice(code, text)
                               for code, text in RIGHTS_REQUEST_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose what the resident asks."))])
    received_on = DateField(_l("When did the request come in?"), format="%Y-%m-%d",
                            validators=[InputRequired(message=_l("Enter a date."))])
    note = reason_field(_l("Which data is it about?"), _l("Write down which data it is about."))
