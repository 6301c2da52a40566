"""Field limits live in app/limits.py: the OpenAPI document, the forms, the columns and the
checks all state the same numbers."""

from __future__ import annotations

import pytest
from wtforms.validators import Length, NumberRange

from app import limits
from app.api.openapi import openapi_document
from app.extensions import db
from app.forms.intake import IntakeForm
from app.models import SupportRequest, User
from tests import factories
from tests.integration.helpers import api_body

#: NewRequest property (dotted inside contact) → (intake form field, limit in app/limits.py).
_MAX_LENGTHS = {
    "postcode": ("postcode", limits.POSTCODE_INPUT_MAX),
    "house_number": ("house_number", limits.HOUSE_NUMBER_MAX),
    "address": ("address", limits.ADDRESS_MAX),
    "description": ("description", limits.DESCRIPTION_MAX),
    "contact.name": ("contact_name", limits.NAME_MAX),
    "contact.email": ("contact_email", limits.EMAIL_MAX),
    "contact.phone": ("contact_phone", limits.PHONE_MAX),
}


def _new_request_property(name: str) -> dict:
    properties = openapi_document()["components"]["schemas"]["NewRequest"]["properties"]
    for part in name.split("."):
        found = properties[part]
        properties = found.get("properties", {})
    return found


def _validator(form: IntakeForm, field: str, kind: type) -> object:
    [validator] = [v for v in form[field].validators if isinstance(v, kind)]
    return validator


@pytest.mark.parametrize("name", sorted(_MAX_LENGTHS))
def test_the_openapi_max_length_and_the_intake_form_use_the_limits_module(app, name):
    field, limit = _MAX_LENGTHS[name]
    assert _new_request_property(name)["maxLength"] == limit
    with app.test_request_context():
        form = IntakeForm(meta={"csrf": False})
        assert _validator(form, field, Length).max == limit


def test_the_openapi_age_range_and_the_intake_form_use_the_limits_module(app):
    age = _new_request_property("age")
    assert (age["minimum"], age["maximum"]) == (limits.AGE_MIN, limits.AGE_MAX)
    with app.test_request_context():
        validator = _validator(IntakeForm(meta={"csrf": False}), "age", NumberRange)
    assert (validator.min, validator.max) == (limits.AGE_MIN, limits.AGE_MAX)


def test_the_openapi_reason_note_and_token_lengths_use_the_limits_module():
    document = openapi_document()
    token = _new_request_property("submission_token")
    assert (token["minLength"], token["maxLength"]) == (limits.SUBMISSION_TOKEN_MIN,
                                                        limits.SUBMISSION_TOKEN_MAX)
    paths = document["paths"]

    def body_of(action: str) -> dict:
        post = paths[f"/referrals/{{id}}/{action}"]["post"]
        return post["requestBody"]["content"]["application/json"]["schema"]["properties"]

    assert body_of("decline")["reason"]["maxLength"] == limits.REASON_MAX
    assert body_of("return")["reason"]["maxLength"] == limits.REASON_MAX
    assert body_of("complete")["note"]["maxLength"] == limits.REASON_MAX


def test_the_columns_are_as_long_as_the_limits():
    request = SupportRequest.__table__.c
    assert request.address.type.length == limits.ADDRESS_MAX
    assert request.house_number.type.length == limits.HOUSE_NUMBER_MAX
    assert request.contact_name.type.length == limits.NAME_MAX
    assert request.contact_email.type.length == limits.EMAIL_MAX
    assert request.contact_phone.type.length == limits.PHONE_MAX
    assert request.submission_token.type.length == limits.SUBMISSION_TOKEN_MAX
    assert User.__table__.c.email.type.length == limits.EMAIL_MAX
    assert User.__table__.c.name.type.length == limits.NAME_MAX


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "x" * (limits.DESCRIPTION_MAX + 1)}, "description"),
        ({"address": "x" * (limits.ADDRESS_MAX + 1), "postcode": None}, "address"),
        ({"contact": {"email": "bewoner@example.org",
                      "name": "x" * (limits.NAME_MAX + 1)}}, "contact.name"),
        ({"submission_token": "x" * (limits.SUBMISSION_TOKEN_MIN - 1)}, "submission_token"),
        ({"submission_token": "x" * (limits.SUBMISSION_TOKEN_MAX + 1)}, "submission_token"),
    ],
)
def test_the_api_refuses_one_character_past_the_stated_limit(client, demo, changes, field):
    raw = factories.api_token(demo)
    db.session.commit()
    response = client.post("/api/v1/requests", json=api_body(**changes),
                           headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]


def test_the_api_takes_a_description_exactly_as_long_as_the_limit(client, demo):
    raw = factories.api_token(demo)
    db.session.commit()
    response = client.post("/api/v1/requests",
                           json=api_body(description="x" * limits.DESCRIPTION_MAX),
                           headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 201, response.json
