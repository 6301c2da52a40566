"""Validators with translated messages; each check lives here once."""

from __future__ import annotations

from typing import Any

import phonenumbers
from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

from app.i18n import _l
from geo import InvalidHouseNumber, InvalidPostcode, normalize_postcode, parse_house_number


class DutchPostcode:
    """A Dutch postcode (1234 AB); normalises the field's data to ``1234AB``."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("Enter a postcode like 1234 AB.")

    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        try:
            field.data = normalize_postcode(field.data)
        except InvalidPostcode as exc:
            raise ValidationError(str(self.message)) from exc


class HouseNumber:
    """A house number with an optional addition (12, 12a, 12-3, 12 bis)."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("Enter a house number like 12 or 12a.")

    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        try:
            parse_house_number(field.data)
        except InvalidHouseNumber as exc:
            raise ValidationError(str(self.message)) from exc


class PhoneNumber:
    """A phone number that can be dialled from the Netherlands; stored as E.164."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("Enter a phone number like 06 12345678.")

    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        try:
            parsed = phonenumbers.parse(field.data, "NL")
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(str(self.message)) from exc
        if not phonenumbers.is_valid_number(parsed):
            raise ValidationError(str(self.message))
        field.data = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class RequiredUnless:
    """Required, unless one of the ``others`` fields is ticked or filled in."""

    def __init__(self, *others: str, message: Any) -> None:
        self.others = others
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if any(form[other].data for other in self.others):
            field.errors = []
            raise StopValidation()
        if field.data in (None, "", []):
            raise StopValidation(str(self.message))
