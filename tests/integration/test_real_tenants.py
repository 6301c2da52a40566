"""The four real municipalities: tenant files load with their real maps, coverage is
complete, and a request in Hoensbroek reaches the wijkcoöperatie."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SupportRequest, Team, Tenant
from app.services.tenants import upsert_postcodes
from geo import read_pc4_csv
from tests.integration.helpers import form_data, submit_form

TENANTS = [("heerlen", "2024", 57), ("hengelo", "2024", 62), ("utrecht", "2013", 111),
           ("rotterdam", "2020", 92)]


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.mark.parametrize(("slug", "year", "buurten"), TENANTS)
def test_each_real_tenant_loads_with_its_map_and_full_coverage(app, shared_data, slug, year,
                                                               buurten):
    areas = shared_data / "geo" / "buurten_4gemeenten.geojson"
    result = _run(app, "tenant", "load", slug, "--areas", str(areas), "--year", year)
    assert result.exit_code == 0, result.output
    assert f"({buurten} buurten)" in result.output
    coverage = _run(app, "geo", "coverage", "--tenant", slug)
    assert coverage.exit_code == 0, coverage.output
    assert "No gaps, no overlaps." in coverage.output
    assert _run(app, "rules", "check", "--tenant", slug).exit_code == 0


def test_a_real_tenant_loads_without_geography(app):
    result = _run(app, "tenant", "load", "hengelo")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Tenant.name).where(Tenant.slug == "hengelo")) == "Hengelo"


def test_a_request_in_hoensbroek_reaches_stand_by_hoensbroek(app, client, shared_data):
    areas = shared_data / "geo" / "buurten_heerlen_GM0917.geojson"
    assert _run(app, "tenant", "load", "heerlen", "--areas", str(areas)).exit_code == 0
    upsert_postcodes(read_pc4_csv(shared_data / "geo" / "postcodes_pc4_4gemeenten.csv"))
    db.session.commit()
    # PC4 6433 (De Koumen) lies well inside Hoensbroek, so the PC4 point is not ambiguous.
    response = submit_form(client, "/heerlen/hulpvraag", form_data(
        postcode="6433 AB", life_areas=["huishouden", "contact"], age="78"))
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    request = db.session.scalar(select(SupportRequest))
    owner = db.session.get(Team, request.owner_team_id)
    assert owner.key == "standby-hoensbroek", (request.buurt_code, request.location_problem)
    assert request.wijk_code.startswith("WK09171")
