"""The support request form: the same fields for residents, staff and the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.forms.base import BaseForm
from app.forms.validators import DutchPostcode, HouseNumber, PhoneNumber, RequiredUnless
from app.i18n import _l
from app.limits import (
    ADDRESS_MAX,
    AGE_MAX,
    AGE_MIN,
    CODE_WORD_MAX,
    CODE_WORD_MIN,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    HOUSE_NUMBER_MAX,
    NAME_MAX,
    PHONE_MAX,
    POSTCODE_INPUT_MAX,
    SAFE_TIMES_MAX,
)
from app.services.intake import IntakeData
from app.vocabulary import (
    CHANNEL_LABELS,
    CONTACT_PREFERENCE_LABELS,
    FOR_WHOM_LABELS,
    HOUSING_LABELS,
    LIFE_AREA_LABELS,
    URGENCY_LABELS,
)
from referral_rules.vocabulary import STAFF_CHANNELS, URGENCY_NORMAL


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labels.items()]


def phone_field(label: Any, *, autocomplete: str) -> StringField:
    """An optional phone number that can be dialled from the Netherlands."""
    return StringField(
        label,
        validators=[Optional(), Length(max=PHONE_MAX, message=_l(
            "Use at most %(max)d characters.", max=PHONE_MAX)), PhoneNumber()],
        render_kw={"autocomplete": autocomplete, "type": "tel"},
    )


class WhoForm(BaseForm):
    """Step 1 of the resident's intake: who the question is for."""

    for_whom = RadioField(
        _l("Who is the question for?"),
        choices=_choices(FOR_WHOM_LABELS),
        validators=[InputRequired(message=_l("Choose who the question is for."))],
    )
    birth_date = DateField(
        _l("Date of birth"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"autocomplete": "bday"},
    )
    age = IntegerField(
        _l("Or age in years"),
        validators=[
            Optional(),
            NumberRange(min=AGE_MIN, max=AGE_MAX, message=_l(
                "Enter an age between %(min)d and %(max)d.", min=AGE_MIN, max=AGE_MAX)),
        ],
        render_kw={"inputmode": "numeric"},
    )

    def validate_birth_date(self, field: DateField) -> None:
        if field.data and field.data > dt.date.today():
            raise ValidationError(str(_l("The date of birth cannot be in the future.")))
        if field.data and field.data < dt.date(1900, 1, 1):
            raise ValidationError(str(_l("Enter a date of birth after 1900.")))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.birth_date.data is None and self.age.data is None and not (
            self.birth_date.errors or self.age.errors
        ):
            self.age.errors = [*self.age.errors, str(_l("Enter a date of birth or an age."))]
            valid = False
        return valid


class WhereForm(BaseForm):
    """Step 2: where the resident lives (or that they have no fixed address)."""

    postcode = StringField(
        _l("Postcode"),
        validators=[
            RequiredUnless("no_fixed_address", "address",
                           message=_l("Enter a postcode, or tick 'no fixed address'.")),
            Length(max=POSTCODE_INPUT_MAX, message=_l("Enter a postcode like 1234 AB.")),
            DutchPostcode(),
        ],
        render_kw={"autocomplete": "postal-code", "inputmode": "text", "spellcheck": "false"},
    )
    house_number = StringField(
        _l("House number"),
        validators=[
            RequiredUnless(
                "no_fixed_address", "address",
                message=_l("Enter a house number, or tick 'no fixed address'."),
            ),
            Length(max=HOUSE_NUMBER_MAX, message=_l("Enter a house number like 12 or 12a.")),
            HouseNumber(),
        ],
    )
    address = StringField(
        _l("Street and place, if you do not know the postcode"),
        validators=[Optional(), Length(max=ADDRESS_MAX, message=_l(
            "Use at most %(max)d characters.", max=ADDRESS_MAX))],
        render_kw={"autocomplete": "street-address"},
    )
    no_fixed_address = BooleanField(_l("I have no fixed address"))
    housing = SelectField(
        _l("Where do you live?"),
        choices=[SelectChoice("", _l("I would rather not say")), *_choices(HOUSING_LABELS)],
        validators=[Optional()],
    )


class WhatForm(BaseForm):
    """Step 3: what is going on, and how urgent it is."""

    life_areas = MultiCheckboxField(
        _l("What is your question about?"),
        choices=_choices(LIFE_AREA_LABELS),
        validators=[InputRequired(message=_l("Choose at least one subject."))],
    )
    description = TextAreaField(
        _l("Tell us what is going on"),
        validators=[
            DataRequired(message=_l("Tell us in a few words what is going on.")),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("Use at most %(max)d characters.", max=DESCRIPTION_MAX),
            ),
        ],
    )
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=_choices(URGENCY_LABELS),
        default=URGENCY_NORMAL,
        validators=[InputRequired(message=_l("Choose how urgent it is."))],
    )


class ContactForm(BaseForm):
    """Step 4: how to reach the resident, and whether we may share the question."""

    contact_name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=NAME_MAX, message=_l(
            "Use at most %(max)d characters.", max=NAME_MAX))],
        render_kw={"autocomplete": "name"},
    )
    contact_email = StringField(
        _l("E-mail address"),
        validators=[
            Optional(),
            Length(max=EMAIL_MAX, message=_l("Use at most %(max)d characters.", max=EMAIL_MAX)),
            Email(message=_l("Enter an e-mail address like name@example.nl."),
                  check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "type": "email"},
    )
    contact_phone = phone_field(_l("Phone number"), autocomplete="tel")
    contact_preferred = RadioField(
        _l("How would you like us to contact you?"),
        choices=_choices(CONTACT_PREFERENCE_LABELS),
        validators=[Optional()],
    )
    email_updates = BooleanField(_l("Send me an e-mail when something changes in my question"))
    contact_safe = RadioField(
        _l("Is it safe for us to send you mail or call you?"),
        choices=[SelectChoice("yes", _l("Yes")),
                 SelectChoice("no", _l("No, that is not safe"))],
        validators=[Optional()],
    )
    safe_phone = phone_field(_l("A safe phone number"), autocomplete="off")
    safe_times = StringField(
        _l("When is it safe to call you?"),
        validators=[Optional(), Length(max=SAFE_TIMES_MAX, message=_l(
            "Use at most %(max)d characters.", max=SAFE_TIMES_MAX))],
        render_kw={"autocomplete": "off"},
    )
    code_word = StringField(
        _l("A code word"),
        validators=[Optional(), Length(min=CODE_WORD_MIN, max=CODE_WORD_MAX, message=_l(
            "A code word has %(low)s to %(high)s characters.", low=CODE_WORD_MIN,
            high=CODE_WORD_MAX))],
        render_kw={"autocomplete": "off"},
    )
    consent_share = RadioField(
        _l("May we share your question with the organisations that can help you?"),
        choices=[SelectChoice("yes", _l("Yes, you may share it")),
                 SelectChoice("no", _l("No, only the neighbourhood team"))],
        validators=[InputRequired(message=_l("Choose whether we may share your question."))],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        email, phone = self.contact_email, self.contact_phone
        unsafe = self.contact_safe.data == "no"
        safe_way = [self.safe_phone, self.safe_times, self.code_word]
        if any(field.data for field in safe_way) and not unsafe:
            self.contact_safe.errors = [*self.contact_safe.errors, str(_l(
                "You gave a safe way to reach you. Choose \u201cNo, that is not safe\u201d, "
                "or leave those fields empty."))]
            valid = False
        if unsafe and self.email_updates.data:
            self.email_updates.errors = [*self.email_updates.errors, str(_l(
                "When it is not safe, we send you no e-mails. Untick this box."))]
            valid = False
        # When contact is not safe, a safe phone number is a way to reach the resident too.
        reachable = email.data or phone.data or (unsafe and self.safe_phone.data)
        if not reachable and not (email.errors or phone.errors):
            email.errors = [
                *email.errors, str(_l("Enter an e-mail address or a phone number."))
            ]
            valid = False
        preferred = self.contact_preferred
        missing = {
            "email": (email, _l("Enter an e-mail address to be contacted by e-mail.")),
            "telefoon": (phone, _l("Enter a phone number to be contacted by phone.")),
        }.get(preferred.data or "")
        if missing and not missing[0].data and not missing[0].errors:
            preferred.errors = [*preferred.errors, str(missing[1])]
            valid = False
        if self.email_updates.data and not email.data and not email.errors:
            self.email_updates.errors = [
                *self.email_updates.errors,
                str(_l("Enter an e-mail address to get e-mails about your question.")),
            ]
            valid = False
        return valid


class IntakeForm(WhoForm, WhereForm, WhatForm, ContactForm):
    """The whole intake at once: the four steps' fields and checks, and the form's token.

    Each step's checks run once, after all field validators (``validate`` is cooperative:
    every step form calls ``super().validate`` first). Fields come in page order.
    """

    submission_token = HiddenField()


#: The resident's intake in steps, in order; together they make up ``IntakeForm``.
INTAKE_STEP_FORMS: tuple[type[BaseForm], ...] = (WhoForm, WhereForm, WhatForm, ContactForm)


class StaffIntakeForm(IntakeForm):
    """The same intake, logged by staff on behalf of a resident."""

    channel = SelectField(
        _l("How did the question come in?"),
        choices=_choices({code: CHANNEL_LABELS[code] for code in STAFF_CHANNELS}),
        default="telefoon",
        validators=[InputRequired(message=_l("Choose how the question came in."))],
    )


def intake_data(form: IntakeForm, *, channel: str, language: str) -> IntakeData:
    """The validated form as the plain intake the services take."""
    no_fixed = bool(form.no_fixed_address.data)
    return IntakeData(
        for_whom=form.for_whom.data,
        life_areas=tuple(form.life_areas.data or ()),
        description=form.description.data,
        urgency=form.urgency.data,
        consent_share=form.consent_share.data == "yes",
        channel=channel,
        language=language,
        postcode=None if no_fixed else form.postcode.data or None,
        address=None if no_fixed else form.address.data or None,
        house_number=None if no_fixed else (form.house_number.data or "").upper() or None,
        no_fixed_address=no_fixed,
        birth_date=form.birth_date.data,
        age=form.age.data if form.birth_date.data is None else None,
        housing=form.housing.data or None,
        contact_name=form.contact_name.data or None,
        contact_email=form.contact_email.data or None,
        contact_phone=form.contact_phone.data or None,
        contact_preferred=form.contact_preferred.data or None,
        email_updates=bool(form.email_updates.data and form.contact_email.data),
        contact_safe={"yes": True, "no": False}.get(form.contact_safe.data or ""),
        safe_phone=(form.safe_phone.data or None) if form.contact_safe.data == "no" else None,
        safe_times=(form.safe_times.data or None) if form.contact_safe.data == "no" else None,
        code_word=(form.code_word.data or None) if form.contact_safe.data == "no" else None,
        submission_token=form.submission_token.data or None,
    )
