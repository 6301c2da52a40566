"""Public statistics (/<tenant>/cijfers and the open data API): known requests give exactly
the published numbers, small numbers never show, and nothing suppressed can be worked out
from what the JSON publishes."""

from __future__ import annotations

import datetime as dt

import pytest

from app.calendar import today as dutch_today
from app.extensions import db
from app.models import Area
from app.services import public_statistics as service
from disclosure import Cell, Protected, Rules, Status, protect
from referral_rules.vocabulary import LIFE_AREAS
from tests import factories
from tests.integration.helpers import check_page
from tests.unit.test_disclosure import _assert_nothing_can_be_worked_out

PERIOD = "2026-Q2"  # 1 April to 30 June 2026, Dutch summer time (UTC+2)
OOST, WEST, ZUID = "WK999801", "WK999802", "WK999803"
_POINT = {"type": "Point", "coordinates": [5.9, 50.9]}


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _requests(team, count, *, wijk, life_areas, created="2026-04-02T10:00:00", **fields):
    return [factories.support_request(team, wijk_code=wijk, life_areas=list(life_areas),
                                      created_at=_utc(created), **fields)
            for _ in range(count)]


def _close(request, days, feedback=None):
    request.status = "closed"
    request.closed_at = request.created_at + dt.timedelta(days=days, hours=1)
    request.feedback = feedback


def _sent(requests, domain, when="2026-05-01T09:00:00"):
    for request in requests:
        factories.referral(request, domain, sent_at=_utc(when))


@pytest.fixture
def town(app):
    """Three wijken: Oost (23 requests), West (one resident), Zuid (30), and 15 requests
    with no known wijk; closures, answers and referrals in the quarter; and requests just
    outside it, a merged duplicate and another municipality's request that do not count."""
    tenant = factories.tenant("stad", name="Stad", gemeentecode="GM9990")
    for code, name in ((OOST, "Oost"), (WEST, "West"), (ZUID, "Zuid")):
        db.session.add(Area(tenant_id=tenant.id, code=code, name=name, kind="wijk",
                            parent_code="GM9990", year=2026, geometry=_POINT))
    # An older map's name is not used.
    db.session.add(Area(tenant_id=tenant.id, code=OOST, name="Oost (oud)", kind="wijk",
                        parent_code="GM9990", year=2020, geometry=_POINT))
    team = factories.team(tenant)
    # Oost: 11 about money, 12 about money and housing; the last came in at 00:30 Dutch time
    # on 1 April (22:30 UTC the day before).
    oost = _requests(team, 11, wijk=OOST, life_areas=["geld"])
    oost += _requests(team, 11, wijk=OOST, life_areas=["geld", "wonen"])
    oost += _requests(team, 1, wijk=OOST, life_areas=["geld", "wonen"],
                      created="2026-03-31T22:30:00")
    west = _requests(team, 1, wijk=WEST, life_areas=["geld", "wonen"])
    zuid = _requests(team, 30, wijk=ZUID, life_areas=["contact"])
    nowhere = _requests(team, 15, wijk=None, life_areas=["werk"], no_fixed_address=True)
    # Outside the quarter: 23:00 Dutch time on 31 March, and 00:30 on 1 July.
    _requests(team, 1, wijk=OOST, life_areas=["geld"], created="2026-03-31T21:00:00")
    late = _requests(team, 1, wijk=OOST, life_areas=["geld"], created="2026-06-30T22:30:00")
    # A duplicate merged into another request is the same question.
    duplicate = _requests(team, 1, wijk=OOST, life_areas=["geld"])[0]
    duplicate.merged_into_id = oost[0].id
    _close(duplicate, 1)
    # Another municipality with the same wijk code.
    other = factories.team(factories.tenant())
    _requests(other, 3, wijk=OOST, life_areas=["geld"])

    for day, request in enumerate(oost[:20]):  # 0..19 days: median 9.5
        _close(request, day, "ja" if day % 2 else "nee")
    _close(west[0], 3, "ja")
    for number, request in enumerate(zuid):  # all after 5 days
        _close(request, 5, "ja" if number < 16 else "deels" if number < 22
               else "nee" if number < 27 else None)

    _sent(oost[:12], "schulden")
    _sent(oost[12:22], "wonen")
    _sent(west, "schulden")
    _sent(zuid[:15], "welzijn")
    _sent(zuid[15:17], "ggz")
    _sent(nowhere[:11], "wonen")
    factories.referral(zuid[20], "ggz", state="proposed")  # waiting for consent: not sent
    _sent(oost[22:], "wonen", when="2026-07-01T08:00:00")  # the next quarter
    _sent(late, "wonen")  # sent in the quarter, for a request of the next: counts
    db.session.commit()
    return tenant


# Oost, West, Zuid, no known wijk: the truth behind what is published.
REQUESTS = [[23], [1], [30], [15]]
CLOSED = [[20], [1], [30], [0]]
FEEDBACK = [[10, 10], [1, 0], [16, 11], [0, 0]]


def _life_areas():
    rows = [{"geld": 23, "wonen": 12}, {"geld": 1, "wonen": 1}, {"contact": 30}, {"werk": 15}]
    return [[row.get(area, 0) for area in LIFE_AREAS] for row in rows]


def _referrals():
    rows = [{"schulden": 12, "wonen": 10}, {"schulden": 1}, {"welzijn": 15, "ggz": 2},
            {"wonen": 11}]
    rows[0]["wonen"] += 1  # the late request's referral, sent in the quarter
    return [[row.get(domain, 0) for domain in service.REFERRAL_DOMAINS] for row in rows]


def _get(client, **params):
    return client.get("/api/v1/public/statistics", query_string=params)


def _cell(published) -> Cell:
    return Cell(Status(published["status"]), published["value"])


def _table(body, figure, columns=None, *, row_totals=True):
    """What the JSON publishes of one table, as a disclosure.Protected."""
    places = body["wijken"]
    town_figure = body["municipality"]["figures"][figure]
    if columns is None:  # a list: one column, the municipality's total below it
        return Protected(cells=tuple((_cell(p["figures"][figure]),) for p in places),
                         row_totals=None, column_totals=(_cell(town_figure),), total=None,
                         rules=Rules())
    return Protected(
        cells=tuple(tuple(_cell(p["figures"][figure]["categories"][c]) for c in columns)
                    for p in places),
        row_totals=tuple(_cell(p["figures"][figure]) for p in places) if row_totals else None,
        column_totals=tuple(_cell(town_figure["categories"][c]) for c in columns),
        total=_cell(town_figure) if row_totals else None, rules=Rules())


def test_known_requests_give_exactly_the_published_numbers(client, town):
    response = _get(client, tenant="stad", period=PERIOD)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["period"] == {"code": "2026-Q2", "first_day": "2026-04-01",
                              "last_day": "2026-06-30"}
    assert body["small_numbers"] == {"min_count": 10, "rounding": 5}
    assert [(p["kind"], p["code"], p["name"]) for p in body["wijken"]] == [
        ("wijk", OOST, "Oost"), ("wijk", WEST, "West"), ("wijk", ZUID, "Zuid"),
        ("no_known_wijk", None, None)]
    oost, west, zuid, nowhere = (p["figures"] for p in body["wijken"])
    town_figures = body["municipality"]["figures"]

    assert oost["requests"] == {"value": 25, "status": "shown"}  # 23, rounded to 5
    assert zuid["requests"] == {"value": 30, "status": "shown"}
    assert town_figures["requests"] == {"value": 70, "status": "shown"}  # 69
    assert oost["life_areas"]["categories"]["geld"] == {"value": 25, "status": "shown"}
    assert oost["life_areas"]["categories"]["wonen"] == {"value": 10, "status": "shown"}
    assert town_figures["life_areas"]["categories"]["contact"]["value"] == 30
    # Zuid's 30 about contact is hidden: shown, it would give away that no one else in the
    # municipality wrote about contact (the small cells of the column would add up to 0).
    assert zuid["life_areas"]["categories"]["contact"] == {"value": None, "status": "hidden"}
    assert oost["referrals"] == {"value": 25, "status": "shown", "categories": {
        domain: {"value": None, "status": "hidden" if domain in {"schulden", "wonen"}
                 else "small"} for domain in service.REFERRAL_DOMAINS}}  # 12 and 11 hidden
    assert town_figures["referrals"]["categories"]["welzijn"] == {"value": 15,
                                                                  "status": "shown"}
    assert town_figures["referrals"]["value"] == 50  # 52 sent in the quarter
    assert oost["closed"] == {"value": 20, "status": "shown"}
    assert town_figures["closed"] == {"value": 50, "status": "shown"}  # 51
    assert oost["feedback"]["categories"]["helped"] == {"value": 10, "status": "shown"}
    assert oost["share_helped"] == {"value": 50, "status": "shown"}
    # Zuid's answers are hidden to cover West's one answer: so is its share.
    assert zuid["feedback"]["categories"]["helped"]["status"] == "hidden"
    assert zuid["share_helped"] == {"value": None, "status": "hidden"}
    # 27 of 48 helped; from the rounded 25 of 50.
    assert town_figures["share_helped"] == {"value": 50, "status": "shown"}
    assert oost["median_days"] == {"value": 9.5, "status": "shown"}
    assert zuid["median_days"] == {"value": 5, "status": "shown"}
    assert town_figures["median_days"] == {"value": 5, "status": "shown"}
    assert nowhere["median_days"] == {"value": None, "status": "small"}  # none closed

    # Every table is exactly disclosure's protection of the true counts.
    assert _table(body, "requests") == protect(REQUESTS, row_totals=False)
    assert _table(body, "closed") == protect(CLOSED, row_totals=False)
    assert _table(body, "life_areas", LIFE_AREAS, row_totals=False) == protect(
        _life_areas(), row_totals=False)
    assert _table(body, "referrals", service.REFERRAL_DOMAINS) == protect(_referrals())
    assert _table(body, "feedback", service.FEEDBACK_COLUMNS) == protect(FEEDBACK)


def test_a_one_person_wijk_is_suppressed_everywhere(client, town):
    west = _get(client, tenant="stad", period=PERIOD).json["wijken"][1]["figures"]
    assert west["requests"] == {"value": None, "status": "small"}
    assert {c["status"] for c in west["life_areas"]["categories"].values()} == {"small"}
    assert west["referrals"]["value"] is None
    assert west["closed"]["status"] == "small"
    assert west["share_helped"] == {"value": None, "status": "small"}
    assert west["median_days"] == {"value": None, "status": "small"}
    # The list of requests hides another wijk, so West cannot be worked out from the total.
    nowhere = _get(client, tenant="stad", period=PERIOD).json["wijken"][3]["figures"]
    assert nowhere["requests"] == {"value": None, "status": "hidden"}


def test_no_suppressed_number_can_be_worked_out_from_the_json(client, town):
    body = _get(client, tenant="stad", period=PERIOD).json
    for figure, columns, counts, totals in [
            ("requests", None, REQUESTS, False), ("closed", None, CLOSED, False),
            ("life_areas", LIFE_AREAS, _life_areas(), False),
            ("referrals", service.REFERRAL_DOMAINS, _referrals(), True),
            ("feedback", service.FEEDBACK_COLUMNS, FEEDBACK, True)]:
        table = _table(body, figure, columns, row_totals=totals)
        assert table.suppressed(), figure  # the attack has something to try
        _assert_nothing_can_be_worked_out(counts, table)


def test_the_statistics_need_no_token_but_the_rest_of_the_api_still_does(client, town):
    assert _get(client, tenant="stad", period=PERIOD).status_code == 200
    assert client.get("/api/v1/public/statistics.csv?tenant=stad").status_code == 200
    assert client.get("/api/v1/requests/WL-2026-000001").status_code == 401


@pytest.mark.parametrize(("period", "says"), [
    ("2026-3", "such as"), ("Q3-2026", "such as"), ("2026-Q5", "such as"),
    ("2014-Q4", "no figures before 2015-Q1"),
    (service.Period.of(dutch_today()).code, "is not over yet"),
    (service.Period.of(dutch_today()).next().code, "is not over yet")])
def test_a_bad_period_is_refused_with_a_clear_message(client, town, period, says):
    response = _get(client, tenant="stad", period=period)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_period"
    assert says in response.json["message"]
    assert response.json["fields"]["period"] == [response.json["message"]]
    csv = client.get("/api/v1/public/statistics.csv", query_string={"tenant": "stad",
                                                                    "period": period})
    assert csv.status_code == 400 and csv.json["error"] == "invalid_period"
    page = client.get(f"/stad/cijfers?period={period}&lang=en")
    assert page.status_code == 400
    assert says in page.get_data(as_text=True)


def test_an_unknown_municipality_is_not_found(client, town):
    for params in ({"tenant": "nergens", "period": PERIOD}, {"period": PERIOD}):
        response = _get(client, **params)
        assert response.status_code == 404
        assert response.json["error"] == "not_found"
    assert client.get("/nergens/cijfers").status_code == 404


def test_without_a_period_the_last_quarter_that_is_over_is_published(client, town):
    body = _get(client, tenant="stad").json
    assert body["period"]["code"] == service.latest_period().code


def test_the_period_is_parsed_in_one_place():
    today = dt.date(2026, 12, 7)
    assert service.parse_period(" 2026-q3 ", today) == service.Period(2026, 3)
    assert service.parse_period(None, today) == service.Period(2026, 3)
    assert service.parse_period("", today) == service.Period(2026, 3)
    assert service.Period(2026, 1).previous() == service.Period(2025, 4)
    assert service.Period(2026, 4).next() == service.Period(2027, 1)
    assert service.Period(2026, 4).last_day == dt.date(2026, 12, 31)
    # Dutch time: the quarter begins at midnight in Amsterdam (winter time, UTC+1).
    assert service.Period(2026, 1).bounds() == (dt.datetime(2025, 12, 31, 23),
                                                dt.datetime(2026, 3, 31, 22))
    with pytest.raises(service.InvalidPeriod):
        service.parse_period("2026-Q4", today)


def test_the_tenants_stricter_rules_apply(client, town):
    town.small_numbers = {"min_count": 25}
    db.session.commit()
    body = _get(client, tenant="stad", period=PERIOD).json
    assert body["small_numbers"]["min_count"] == 25
    oost = body["wijken"][0]["figures"]
    assert oost["closed"]["status"] == "small"  # 20 closed
    assert oost["median_days"] == {"value": None, "status": "small"}
    html = client.get(f"/stad/cijfers?period={PERIOD}&lang=en").get_data(as_text=True)
    assert "fewer than 25" in html


def test_the_csv_is_for_dutch_spreadsheets_and_publishes_the_same(client, town):
    response = client.get("/api/v1/public/statistics.csv",
                          query_string={"tenant": "stad", "period": PERIOD, "lang": "en"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "cijfers-stad-2026-Q2.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffPeriod;District code;District;Figure;Category;Value;Status\r\n")
    lines = text.lstrip("\ufeff").splitlines()
    assert "2026-Q2;WK999801;Oost;requests;;25;shown" in lines
    assert "2026-Q2;WK999801;Oost;median_days;;9,5;shown" in lines  # a decimal comma
    assert "2026-Q2;WK999802;West;requests;;;small" in lines
    assert "2026-Q2;;No known district;requests;;;hidden" in lines
    assert "2026-Q2;GM9990;Stad;requests;;70;shown" in lines
    body = _get(client, tenant="stad", period=PERIOD).json
    shown_in_json = sum(1 for place in [*body["wijken"], body["municipality"]]
                        for figure in place["figures"].values()
                        for cell in [figure, *figure.get("categories", {}).values()]
                        if "status" in cell)
    assert len(lines) - 1 == shown_in_json  # one line per published number


def test_the_page_shows_the_figures_in_english(client, town):
    response = client.get(f"/stad/cijfers?period={PERIOD}&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html)
    assert 'lang="en"' in html
    assert "Figures of Stad" in html
    assert '<option value="2026-Q2" selected>' in html
    assert '<th scope="row" class="utrecht-table__header-cell">Oost</th>' in html
    assert "fewer than 10" in html and ">hidden<" in html
    assert "Money, debts or benefits" in html
    assert html.count("<caption") == 3
    assert "/api/v1/public/statistics.csv?tenant=stad&amp;period=2026-Q2" in html


def test_the_page_is_in_dutch_for_a_dutch_reader(client, town):
    response = client.get(f"/stad/cijfers?period={PERIOD}",
                          headers={"Accept-Language": "nl"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="nl"' in html
    assert "Cijfers van Stad" in html
    assert "Kwartaal 2 van 2026" in html
    assert "minder dan 10" in html and ">verborgen<" in html
    assert "Wijk onbekend" in html
    assert "Geld, schulden of uitkering" in html  # the life areas' Dutch names
    assert "Ondersteuning (Wmo)" in html


def test_the_home_page_links_to_the_figures(client, demo):
    html = client.get("/demo/?lang=en").get_data(as_text=True)
    assert 'href="/demo/cijfers"' in html


def test_the_openapi_document_describes_the_open_data(client, town):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/public/statistics"]["get"]["security"] == []
    assert document["paths"]["/public/statistics.csv"]["get"]["security"] == []
    schema = _resolvable(document, "PublicStatistics")
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(_get(client, tenant="stad", period=PERIOD).json)


def _resolvable(document, name):
    """The component ``name`` with the document's components beside it, so its $refs
    resolve."""
    return {**document["components"]["schemas"][name], "components": document["components"]}


def test_a_process_keeps_a_quarter_for_the_cache_time_and_a_stricter_rule_at_once(app, client,
                                                                                 town):
    first = _get(client, tenant="stad", period=PERIOD).json
    team = factories.team(town)
    _requests(team, 10, wijk=ZUID, life_areas=["contact"])  # a late correction, say
    db.session.commit()
    assert _get(client, tenant="stad", period=PERIOD).json == first  # kept
    app.config["PUBLIC_STATISTICS_CACHE_SECONDS"] = 0
    fresh = _get(client, tenant="stad", period=PERIOD).json
    assert fresh["wijken"][2]["figures"]["requests"]["value"] == 40  # 30 + 10
    app.config["PUBLIC_STATISTICS_CACHE_SECONDS"] = 3600
    town.small_numbers = {"min_count": 15}
    db.session.commit()
    assert _get(client, tenant="stad", period=PERIOD).json["small_numbers"]["min_count"] == 15
