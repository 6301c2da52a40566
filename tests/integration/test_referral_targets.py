"""A referral's or route's target has one shape in every answer, and its key is usable."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import Partner, Team
from tests.integration.helpers import api_body

_SHAPE = {"kind", "id", "key", "name"}


def _get(client, token, path):
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def _submitted(client, token, **changes):
    response = client.post("/api/v1/requests", json=api_body(**changes),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    return _get(client, token, f"/requests/{response.json['reference']}").json


def test_the_referral_list_and_the_routes_give_the_same_target_with_its_key(client, token):
    body = _submitted(client, token)
    [route] = body["routes"]
    [referral] = body["referrals"]
    partner = db.session.scalar(select(Partner).where(Partner.name == "Schuldhulp Demodorp"))
    expected = {"kind": "partner", "id": partner.id, "key": partner.key, "name": partner.name}
    assert route["target"] == expected
    assert referral["target"] == expected


def test_a_team_is_named_in_the_same_shape_also_when_the_owning_team_handles_a_route(
        client, token):
    body = _submitted(client, token, life_areas=["wonen", "opvoeden"])
    owner = db.session.get(Team, body["owner_team"]["id"])
    youth = db.session.scalar(select(Team).where(Team.key == "jeugd"))
    routes = {route["domain"]: route["target"] for route in body["routes"]}
    # Wonen is the owning team's own work (no referral); jeugd goes to the youth team.
    assert routes["wonen"] == {"kind": "team", "id": owner.id, "key": owner.key,
                               "name": owner.name}
    assert routes["jeugd"] == {"kind": "team", "id": youth.id, "key": youth.key,
                               "name": youth.name}
    assert [referral["target"] for referral in body["referrals"]] == [routes["jeugd"]]


def test_the_key_in_an_answer_makes_a_partner_token_that_sees_that_referral(app, client, demo,
                                                                          token):
    body = _submitted(client, token)
    [referral] = body["referrals"]
    key = referral["target"]["key"]
    result = app.test_cli_runner().invoke(args=[
        "token", "create", "--tenant", demo.slug, "--name", "schuldhulp-systeem",
        "--partner", key])
    assert result.exit_code == 0, result.output
    partner_token = result.output.strip().splitlines()[-1].strip()

    listing = _get(client, partner_token, "/referrals").json
    [seen] = listing["referrals"]
    assert seen["id"] == referral["id"]
    assert seen["target"] == referral["target"]
    assert _get(client, partner_token, f"/referrals/{referral['id']}").json["target"] == \
        referral["target"]


def test_geo_locate_names_the_responsible_partner_as_the_api_does(app, client, demo, token):
    [route] = _submitted(client, token)["routes"]
    result = app.test_cli_runner().invoke(args=[
        "geo", "locate", "--tenant", demo.slug, "--postcode", "9999AA", "--number", "1",
        "--json"])
    assert result.exit_code == 0, result.output
    responsible = json.loads(result.output)["responsible"][route["domain"]]
    assert responsible.pop("contract") == {"key": "schuldhulp-2024", "held": False}
    assert responsible == route["target"]


def test_the_openapi_document_describes_every_target_with_the_one_component(client, demo):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    target = schemas["ReferralTarget"]
    Draft202012Validator.check_schema(target)
    assert set(target["required"]) == _SHAPE
    ref = {"$ref": "#/components/schemas/ReferralTarget"}
    request = schemas["Request"]["properties"]
    assert request["routes"]["items"]["properties"]["target"] == ref
    assert request["referrals"]["items"]["properties"]["target"] == ref
    assert schemas["Referral"]["properties"]["target"] == ref


def test_every_target_in_an_answer_is_valid_against_the_component(client, token):
    from jsonschema import Draft202012Validator

    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["ReferralTarget"]
    body = _submitted(client, token, life_areas=["geld", "wonen"])
    validator = Draft202012Validator(schema)
    for item in body["routes"] + body["referrals"]:
        validator.validate(item["target"])
