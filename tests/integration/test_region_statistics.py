"""A region's figures are the sum of its members' published, protected figures: never more
than a member publishes itself, and no sum where one member's number is suppressed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.calendar import Period
from app.extensions import db
from app.models import Tenant, User
from app.services import public_statistics, region_statistics, regions
from disclosure import Status
from tests import factories
from tests.conftest import logged_in

PERIOD = Period(2026, 2)
RECEIVED = dt.datetime(2026, 4, 2, 10, 0)
BELEID = "beleid@demo.wijkloket.example"


def _requests(tenant: Tenant, count: int) -> None:
    team = factories.team(tenant)
    for _ in range(count):
        factories.support_request(team, created_at=RECEIVED)


@pytest.fixture
def region(demo):
    shared = regions.upsert_region("regio-demo", "Regio Demo")
    demo.region_id = shared.id
    big = factories.tenant("groot", name="Grootdorp", gemeentecode="GM9996",
                           region_id=shared.id)
    outside = factories.tenant("verweg", name="Verweg", gemeentecode="GM9995")
    _requests(demo, 20)
    _requests(big, 35)
    _requests(outside, 40)
    db.session.commit()
    return {"region": shared, "big": big, "demo": demo}


def _requests_of(stats: region_statistics.RegionStatistics) -> dict[str, region_statistics.Number]:
    index = region_statistics.FIGURES.index(("requests", None))
    return {row.tenant.name: row.numbers[index] for row in stats.members}


def test_each_member_shows_what_its_own_statistics_publish_and_the_region_their_sum(region):
    stats = region_statistics.compute(region["region"], PERIOD)
    index = region_statistics.FIGURES.index(("requests", None))
    published = public_statistics.compute(region["big"], PERIOD)
    own = next(line for line in public_statistics.lines(published)
               if line.place is None and line.figure == "requests")
    assert _requests_of(stats)["Grootdorp"].value == own.value == 35
    assert _requests_of(stats)["Demodorp"].value == 20
    assert "Verweg" not in _requests_of(stats)
    assert stats.totals[index] == region_statistics.Number(Status.SHOWN, 55)


def test_one_member_with_a_suppressed_number_suppresses_the_regions_sum(region):
    small = factories.tenant("klein", name="Kleindorp", gemeentecode="GM9997",
                             region_id=region["region"].id)
    _requests(small, 3)  # fewer than the minimum: Kleindorp shows no number
    db.session.commit()
    stats = region_statistics.compute(region["region"], PERIOD)
    index = region_statistics.FIGURES.index(("requests", None))
    assert not _requests_of(stats)["Kleindorp"].shown
    # The true sum (58) minus the others' published numbers would give Kleindorp's 3 away.
    assert not stats.totals[index].shown and stats.totals[index].value is None


def test_the_workspace_page_shows_the_members_and_the_region(app, region):
    client = logged_in(app, BELEID)
    html = client.get(f"/beleid/region?quarter={PERIOD.code}").get_data(as_text=True)
    assert "Regio Demo" in html and "Grootdorp" in html and "Demodorp" in html
    assert "Verweg" not in html
    assert "<td class=\"num\">55</td>" in html
    bad = client.get("/beleid/region?quarter=morgen")
    assert bad.status_code == 422


def test_a_municipality_in_no_region_says_so(app, demo):
    html = logged_in(app, BELEID).get("/beleid/region").get_data(as_text=True)
    assert "niet bij een regio" in html
    beleid = db.session.scalar(select(User).where(User.email == BELEID))
    assert beleid.tenant.region_id is None
