"""Postcodes missing from the table go to a geopy geocoder: here a real local HTTP server
answering as Nominatim or Photon would, including slow, failing and empty answers."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from werkzeug import Response

from app.extensions import db
from app.models import GeocodeCache, SupportRequest, Team
from tests.integration.helpers import form_data, submit_form

NOORD_VLINDERBUURT = {"lat": "53.3251", "lon": "6.0449", "display_name": "Vlinderweg 3, Demodorp"}


@pytest.fixture
def app_config(httpserver, request):
    param = getattr(request, "param", "nominatim")
    config = {"GEOCODER": param, "GEOCODER_DOMAIN": f"127.0.0.1:{httpserver.port}",
              "GEOCODER_SCHEME": "http", "GEOCODER_TIMEOUT": 0.5,
              "GEOCODER_MIN_DELAY_SECONDS": 0.0}
    return {**config, **param} if isinstance(param, dict) else config


def _submit(client, postcode, number="3"):
    response = submit_form(client, "/demo/hulpvraag",
                           form_data(postcode=postcode, house_number=number))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.scalars(select(SupportRequest).order_by(SupportRequest.id.desc())).first()


def _team(request):
    return db.session.get(Team, request.owner_team_id).key


def test_a_postcode_missing_from_the_table_is_geocoded_once_and_cached(client, demo, httpserver):
    httpserver.expect_request("/search").respond_with_json([NOORD_VLINDERBUURT])
    first = _submit(client, "9999 XY")
    assert (first.buurt_code, first.location_precision, _team(first)) == (
        "BU99990102", "geocoded", "noord")
    assert "9999 XY 3" in httpserver.log[0][0].args["q"]
    second = _submit(client, "9999xy")  # written differently, same address
    assert second.buurt_code == "BU99990102"
    assert len(httpserver.log) == 1  # answered from the cache
    assert db.session.scalar(select(func.count()).select_from(GeocodeCache)) == 1


@pytest.mark.parametrize("app_config", ["photon"], indirect=True)
def test_photon_answers_are_understood(client, demo, httpserver):
    httpserver.expect_request("/api").respond_with_json({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [6.0449, 53.3051]},
        "properties": {"name": "Beekweg 3", "city": "Demodorp"}}]})
    request = _submit(client, "9999 XY")
    assert (request.buurt_code, _team(request)) == ("BU99990302", "zuid")


def _slow(_request):
    time.sleep(1.5)
    return Response("[]", content_type="application/json")


@pytest.mark.parametrize(
    "answer",
    [lambda server: server.expect_request("/search").respond_with_data("boom", status=500),
     lambda server: server.expect_request("/search").respond_with_handler(_slow),
     lambda server: server.expect_request("/search").respond_with_data("<html>", status=200)],
    ids=["failing", "slow", "garbage"],
)
def test_a_failing_geocoder_never_loses_the_request(client, demo, httpserver, answer):
    answer(httpserver)
    started = time.monotonic()
    request = _submit(client, "1234 AB")
    assert time.monotonic() - started < 5
    assert _team(request) == "centraal"
    assert request.location_problem == "geocoder_down"
    assert [task.kind for task in request.tasks] == ["location_unknown"]
    assert "adresdienst gaf geen antwoord" in request.tasks[0].reason  # tasks are in Dutch
    assert db.session.scalar(select(func.count()).select_from(GeocodeCache)) == 0  # not cached


def test_a_failing_geocoder_falls_back_to_the_pc4_centroid(client, demo, httpserver):
    httpserver.expect_request("/search").respond_with_data("boom", status=503)
    request = _submit(client, "9999 XY")
    assert request.location_precision == "pc4"


def test_an_unknown_address_is_cached_as_unknown(client, demo, httpserver):
    httpserver.expect_request("/search").respond_with_json([])
    request = _submit(client, "1234 AB")
    assert request.location_problem == "unknown_postcode"
    assert _team(request) == "centraal"
    _submit(client, "1234 AB")
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("app_config", [{"GEOCODER": "no-such-service"}], indirect=True)
def test_an_unknown_geocoder_service_never_loses_the_request(client, demo):
    request = _submit(client, "1234 AB")
    assert (_team(request), request.location_problem) == ("centraal", "geocoder_down")


def test_a_free_text_address_without_a_postcode_is_geocoded(client, demo, httpserver):
    httpserver.expect_request("/search").respond_with_json([NOORD_VLINDERBUURT])
    data = form_data(postcode="", house_number="", address="Vlinderweg 3, Demodorp")
    assert submit_form(client, "/demo/hulpvraag", data).status_code == 302
    request = db.session.scalars(select(SupportRequest)).one()
    assert (request.buurt_code, request.location_precision, _team(request)) == (
        "BU99990102", "geocoded", "noord")
    assert request.address == "Vlinderweg 3, Demodorp"
    assert "Vlinderweg 3" in httpserver.log[0][0].args["q"]


def test_a_free_text_address_nobody_knows_goes_to_central_intake(client, demo, httpserver):
    httpserver.expect_request("/search").respond_with_json([])
    data = form_data(postcode="", house_number="", address="Nergensweg 1")
    assert submit_form(client, "/demo/hulpvraag", data).status_code == 302
    request = db.session.scalars(select(SupportRequest)).one()
    assert (_team(request), request.location_problem) == ("centraal", "unknown_address")
