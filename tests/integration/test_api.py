"""The JSON API: intake, reading a request, validation, tenancy, OpenAPI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import SupportRequest
from app.services.tenants import create_tenant
from tests import factories
from tests.integration.helpers import api_body


def _post(client, token, body):
    return client.post("/api/v1/requests", json=body,
                       headers={"Authorization": f"Bearer {token}"})


def test_a_request_posted_to_the_api_answers_201_with_owner_and_routes(client, token):
    response = _post(client, token, api_body())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["reference"].startswith("WL-")
    assert body["status"] == "new"
    assert body["owner_team"]["name"] == "Wijkteam Noord"
    assert body["buurt_code"] == "BU99990101"
    [route] = body["routes"]
    assert route["domain"] == "schulden"
    assert route["target"]["name"] == "Schuldhulp Demodorp"
    assert route["rule_ids"] and route["reason"]

    fetched = client.get(f"/api/v1/requests/{body['reference']}",
                         headers={"Authorization": f"Bearer {token}"})
    assert fetched.status_code == 200
    assert fetched.json["referrals"][0]["state"] == "sent"
    assert db.session.scalar(select(SupportRequest.channel)) == "telefoon"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "12345"}, "postcode"),
        ({"house_number": "abc"}, "house_number"),
        ({"age": "forty"}, "age"),
        ({"age": -3}, "age"),
        ({"life_areas": "geld"}, "life_areas"),
        ({"life_areas": ["gamen"]}, "life_areas"),
        ({"urgency": "heel erg"}, "urgency"),
        ({"for_whom": None}, "for_whom"),
        ({"contact": {"email": "nope"}}, "contact.email"),
        ({"contact": {"phone": "12"}}, "contact.phone"),
        ({"consent_share": "yes"}, "consent_share"),
        ({"description": "x" * 4001}, "description"),
        ({"language": "xx"}, "language"),
        ({"channel": "fax"}, "channel"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_input_answers_422_naming_the_field_and_stores_nothing(
    client, token, changes, field
):
    response = _post(client, token, api_body(**changes))
    assert response.status_code == 422, response.json
    assert field in response.json["fields"], response.json
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0


def test_an_unknown_postcode_is_still_accepted_and_owned_by_central_intake(client, token):
    response = _post(client, token, api_body(postcode="1234 AB"))
    assert response.status_code == 201
    assert response.json["buurt_code"] is None
    assert response.json["owner_team"]["name"] == "Centrale Toegang Demodorp"


def test_without_a_valid_token_the_api_answers_401(client, demo):
    assert client.post("/api/v1/requests", json=api_body()).status_code == 401
    response = _post(client, "wl_wrong", api_body())
    assert response.status_code == 401


def test_another_tenants_reference_answers_404(client, token):
    created = _post(client, token, api_body()).json["reference"]
    other = create_tenant("elders", "Elders", "GM9998", "demo")
    raw = factories.api_token(other, name="other")
    db.session.commit()
    response = client.get(f"/api/v1/requests/{created}",
                          headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 404


def test_a_body_over_the_limit_answers_413(client, token):
    response = client.post("/api/v1/requests", data="x" * 100_000,
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 413


def test_the_same_submission_token_returns_the_first_request(client, token):
    first = _post(client, token, api_body(submission_token="abc-123-def"))
    second = _post(client, token, api_body(submission_token="abc-123-def"))
    assert first.json["reference"] == second.json["reference"]
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 1


def test_the_openapi_description_is_valid_openapi_31(client, demo):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {"/requests", "/requests/{reference}"} <= set(document["paths"])
    schema = document["components"]["schemas"]["NewRequest"]
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(api_body())
