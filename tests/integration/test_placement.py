"""Where a request lands: approximate PC4 points, areas spanning teams, outside the map."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SupportRequest, Team
from tests.integration.helpers import form_data, submit_form


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


def _submit(client, postcode):
    response = submit_form(client, "/demo/hulpvraag", form_data(postcode=postcode))
    assert response.status_code == 302
    request = db.session.scalars(select(SupportRequest)).one()
    return request, db.session.get(Team, request.owner_team_id).key


def test_a_pc4_area_that_spans_two_teams_is_not_guessed(client, demo):
    # The PC4 centroid of 9999 lies in wijk Centrum (Noord) about 560 m from wijk Zuid.
    request, team = _submit(client, "9999 XY")
    assert (team, request.location_problem, request.buurt_code) == (
        "centraal", "pc4_ambiguous", None)
    assert [task.kind for task in request.tasks] == ["location_unknown"]


@pytest.mark.parametrize("app_config", [{"GEO_PC4_RADIUS_M": 300}], indirect=True)
def test_a_pc4_area_within_one_team_is_used_and_marked_approximate(client, demo):
    request, team = _submit(client, "9999 XY")
    assert (team, request.buurt_code, request.location_precision) == (
        "noord", "BU99990201", "pc4")
    assert request.map_year == 2026


def test_outside_the_map_goes_to_central_intake_with_a_task(client, demo):
    request, team = _submit(client, "9998 AA")
    assert (team, request.location_problem) == ("centraal", "outside_area")
    assert [task.kind for task in request.tasks] == ["location_unknown"]


def test_a_precise_postcode_records_the_map_year(client, demo):
    request, team = _submit(client, "9999 CA")
    assert (team, request.buurt_code, request.map_year, request.location_problem) == (
        "zuid", "BU99990301", 2026, None)


def test_staff_see_why_the_place_is_unknown(app, client, demo):
    from tests.conftest import login

    request, _ = _submit(client, "9998 AA")
    staff = app.test_client()
    login(staff, "centraal@demo.wijkloket.example")
    page = staff.get(f"/staff/requests/{request.reference}").get_data(as_text=True)
    assert "buiten deze gemeente" in page


def test_outside_the_map_the_resident_is_told_which_municipality_when_known(app, client, demo):
    from shapely.geometry import box

    from app.services.tenants import create_tenant, replace_areas
    from geo import Area

    response = submit_form(client, "/demo/hulpvraag?lang=en", form_data(postcode="9998 AA"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please also contact your own municipality" in page

    # A neighbouring tenant whose map holds 9998 AA (6.20, 53.315).
    other = create_tenant("buurdorp", "Buurdorp", "GM9998")
    replace_areas(other, [Area("BU99980101", "Oost", "buurt", "WK999801",
                               box(6.1, 53.3, 6.3, 53.4)),
                          Area("GM9998", "Buurdorp", "gemeente", None,
                               box(6.1, 53.3, 6.3, 53.4))], 2026)
    db.session.commit()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "seems to be in the municipality of Buurdorp, not in Demodorp" in page
