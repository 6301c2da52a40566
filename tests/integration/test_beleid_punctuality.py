"""The punctuality page of the municipality's workspace (/beleid/punctuality): who may see
it, that it shows the service's counts protected and never a small one, the list of late
items for the team lead of the team only, the downloads, and the dates that are refused.

"Today" is 7 December 2026. Every referral below was sent on Monday 3 August 2026 (Dutch
time) with five working days, so due on Monday 10 August: answered on the 5th is on time, on
the 12th late, on 30 September more than three times late. The Wmo meldingen came in on
Wednesday 1 July, so the investigation was due six weeks later, on Wednesday 12 August.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.beleid import punctuality as page
from app.extensions import db
from app.forms.punctuality import PunctualityFilter, PunctualityForm
from app.models import AuditEvent, Partner, Team, Tenant
from app.services import outcomes, punctuality
from app.services.errors import InvalidInput
from app.services.figures import Table as FigureTable
from app.services.legal import to_utc
from disclosure import Cell, Protected, Rules, Status, round_to
from tests import factories
from tests.attacker import worked_out
from tests.conftest import logged_in

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
ADMIN = "admin@demo.wijkloket.example"
STAFF = "noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
TODAY = dt.date(2026, 12, 7)
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}
SENT = to_utc(dt.datetime(2026, 8, 3, 10, 0))
DUE = dt.date(2026, 8, 10)
ON_TIME = to_utc(dt.datetime(2026, 8, 5, 9, 0))
LATE = to_utc(dt.datetime(2026, 8, 12, 9, 0))
VERY_LATE = to_utc(dt.datetime(2026, 9, 30, 9, 0))
MELDING = to_utc(dt.datetime(2026, 7, 1, 10, 0))
COLUMNS = ["On time", "Late", "Of these: more than three times late", "Open: not due yet"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("app.beleid.punctuality.local_today", lambda: TODAY)
    monkeypatch.setattr("app.services.punctuality.local_today", lambda: TODAY)


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _partner(key: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.key == key))


def _referral(owner: str, target: Team | Partner, domain: str, answered=None, *,
              due=DUE, reference=None):
    request = factories.support_request(_team(owner), reference=reference)
    return factories.referral(request, domain, target, due=due, sent_at=SENT,
                              answered_at=answered, accepted_at=answered,
                              state="accepted" if answered else "sent")


@pytest.fixture
def known(demo):
    """Noord referred 25 to Schuldhulp (15 on time, 10 late) and 3 to Welzijn (very late);
    Zuid referred 12 to Noord on time, 1 late and 1 not due yet, and 1 late to Schuldhulp.
    Noord owns 12 Wmo meldingen: 10 investigated on time, 2 late."""
    schuldhulp, welzijn, noord = _partner("schuldhulp"), _partner("welzijn"), _team("noord")
    for _k in range(15):
        _referral("noord", schuldhulp, "schulden", ON_TIME)
    for k in range(10):
        _referral("noord", schuldhulp, "schulden", LATE,
                  reference="WL-2026-800001" if k == 0 else None)
    for k in range(3):
        _referral("noord", welzijn, "welzijn", VERY_LATE,
                  reference="WL-2026-800002" if k == 0 else None)
    for _k in range(12):
        _referral("zuid", noord, "wijkteam", ON_TIME)
    _referral("zuid", noord, "wijkteam", LATE, reference="WL-2026-800003")
    _referral("zuid", noord, "wijkteam", due=dt.date(2026, 12, 31))
    _referral("zuid", schuldhulp, "schulden", LATE, reference="WL-2026-800004")
    for k in range(12):
        factories.support_request(
            noord, domains=("wmo",), created_at=MELDING,
            reference="WL-2026-800005" if k == 0 else None,
            wmo_investigation_done_on=dt.date(2026, 8, 20 if k < 2 else 10))
    db.session.commit()
    return demo


def _tables(text: str) -> dict[str, dict[str, list[str]]]:
    """Each table of the page by its key: row label → the cells' texts (the total row too)."""
    found = {}
    for key, body in re.findall(r'<section class="figures-table" aria-labelledby="([^"]+)'
                                r'-heading">(.*?)</section>', text, re.S):
        rows = {}
        for label, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', body):
            rows[html.unescape(label)] = [html.unescape(cell) for cell in
                                          re.findall(r'<td class="num">([^<]*)</td>', cells)]
        found[key] = rows
    return found


def _page(client, **query):
    response = client.get("/beleid/punctuality", query_string=query, headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _tally_cells(tally: punctuality.Tally) -> list[int]:
    return [tally.on_time, tally.late, tally.very_late, tally.open]


# --- Who -------------------------------------------------------------------------------------


def test_a_policy_advisor_sees_the_punctuality_of_this_quarter_by_default(app, known):
    client = logged_in(app, BELEID)
    text = _page(client)
    assert 'value="2026-10-01"' in text and 'value="2026-12-31"' in text
    assert 'href="/beleid/punctuality" aria-current="page"' in text
    text = _page(client, **PERIOD)
    assert "<caption" in text and 'scope="col"' in text and 'scope="row"' in text
    # A policy advisor gets no list of late items, not even a link to it.
    assert "/beleid/punctuality/late" not in text


@pytest.mark.parametrize("email", [LEAD, ADMIN])
def test_a_team_lead_and_an_administrator_see_the_page_with_a_link_to_the_late_items(
        app, known, email):
    text = _page(logged_in(app, email), **PERIOD)
    assert "Referral responses per partner organisation" in text
    assert "/beleid/punctuality/late?start=2026-07-01&amp;end=2026-09-30" in text


def test_a_staff_member_is_refused_the_page_without_a_log_entry(app, known):
    client = logged_in(app, STAFF)
    assert client.get("/beleid/punctuality").status_code == 403
    assert client.get("/beleid/punctuality/late").status_code == 403
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "access.refused")) == 0


# --- What is shown ---------------------------------------------------------------------------


def test_every_number_shown_is_the_services_count_rounded_and_a_small_one_is_words(app,
                                                                                  known):
    referrals = punctuality.referral_punctuality(known, *Q3, today=TODAY)
    terms = punctuality.legal_punctuality(known, *Q3, today=TODAY)
    exact = {"teams": referrals.by_team, "partners": referrals.by_partner,
             "domains": referrals.by_domain, "legal_terms": terms.by_team}
    tables = _tables(_page(logged_in(app, BELEID), **PERIOD))
    assert set(tables) == set(page.TABLE_KEYS)
    labels = {"schulden": "Debt help", "welzijn": "Neighbourhood activities and welfare",
              "wijkteam": "Neighbourhood team"}
    suppressed = 0
    for key, rows in exact.items():
        expected = {labels.get(row.key, row.name): _tally_cells(row.tally) for row in rows}
        column_sums = [sum(cells[c] for cells in expected.values()) for c in range(4)]
        expected["Total"] = column_sums
        assert set(tables[key]) == set(expected), key
        for name, cells in tables[key].items():
            for text, count in zip(cells, expected[name], strict=True):
                if text == "fewer than 10":
                    assert count < 10, (key, name)
                    suppressed += 1
                elif text == "hidden":
                    suppressed += 1
                else:
                    assert int(text.replace(",", "")) == round_to(count, 5), (key, name)
    assert suppressed > 0
    # The known counts: Noord answered 12 on time, shown as 10. Schuldhulp's 15 on time are
    # hidden: beside Welzijn's none they would give that 0 away, and the partners' total
    # on time, which the other tables share, stays shown.
    assert tables["partners"]["Schuldhulp Demodorp"][0] == "hidden"
    assert tables["partners"]["Total"][0] == "15"
    assert tables["teams"]["Wijkteam Noord"][0] == "10"
    assert tables["legal_terms"]["Wijkteam Noord"][0] == "10"
    assert tables["legal_terms"]["Wijkteam Noord"][1] == "fewer than 10"
    assert tables["partners"]["Stichting Welzijn Demodorp"][2] == "fewer than 10"


def test_no_small_count_appears_anywhere_on_the_page(app, known):
    text = _page(logged_in(app, LEAD), **PERIOD)
    for cell in re.findall(r'<td class="num">([^<]*)</td>', text):
        assert cell in {"fewer than 10", "hidden"} or int(cell) >= 10, cell


def test_the_referral_tables_show_a_columns_total_in_all_of_them_or_in_none(app, known):
    result = page.punctuality_tables(known, PunctualityFilter(*Q3))
    totals = [result.table(key).total for key in ("teams", "partners", "domains")]
    for column in range(4):
        shown = {total.cells[column].shown for total in totals if total is not None}
        assert len(shown) == 1, column


def test_a_total_one_table_suppresses_is_suppressed_and_protected_in_the_others():
    def rows(*counts):
        return [(str(k), str(k), punctuality.Tally(on_time=count))
                for k, count in enumerate(counts)]

    teams, partners, domains = page._protected(
        [rows(3), rows(20, 15), rows(23, 15)], Rules())
    assert teams.column_totals[0].status is Status.SMALL
    assert partners.column_totals[0].status is Status.HIDDEN
    assert domains.column_totals[0].status is Status.HIDDEN
    # Hidden, and not the sum of what is shown: a cell of the column is hidden with it.
    assert not all(row[0].shown for row in partners.cells)
    assert not all(row[0].shown for row in domains.cells)
    assert page._protected([[], rows(20, 15), rows(20, 15)], Rules())[0] is None


@pytest.fixture
def few_by_teams(demo):
    """Referrals sent in Q3, all answered on time: 3 to Wijkteam Noord (debt help), 20 to
    Schuldhulp (debt help) and 15 to Welzijn (welfare)."""
    for target, domain, count in ((_team("noord"), "schulden", 3),
                                  (_partner("schuldhulp"), "schulden", 20),
                                  (_partner("welzijn"), "welzijn", 15)):
        for _k in range(count):
            _referral("zuid", target, domain, ON_TIME)
    db.session.commit()
    return demo


def _protected(table: FigureTable, rules) -> Protected:
    """A table of the page as the attacker reads it: its cells and its total row (the row
    totals are not published)."""
    return Protected(
        cells=tuple(tuple(Cell(figure.status, figure.value) for figure in row.cells)
                    for row in table.rows),
        row_totals=None,
        column_totals=tuple(Cell(figure.status, figure.value) for figure in table.total.cells),
        total=None, rules=rules)


def _worked_out(tenant):
    """What an attacker works out of the referral tables per team, per partner and per
    domain read side by side: they know every number shown exactly, "fewer than 10" is 0
    to 9 and "hidden" at least 10, every column adds up to its total, and every referral
    went to a team or a partner, so per column the teams' total and the partners' make the
    domains'."""
    referrals = punctuality.referral_punctuality(tenant, *Q3, today=TODAY)
    result = page.punctuality_tables(tenant, PunctualityFilter(*Q3))
    tables = []
    for key, rows in (("teams", referrals.by_team), ("partners", referrals.by_partner),
                      ("domains", referrals.by_domain)):
        tables.append(([_tally_cells(row.tally) for row in rows],
                       _protected(result.table(key), result.rules)))
    size = [len(counts) for counts, _table in tables]
    relations = [[(1, 0, (size[0], c)), (1, 1, (size[1], c)), (-1, 2, (size[2], c))]
                 for c in range(4)]
    return worked_out(tables, relations)


def test_no_count_can_be_worked_out_from_the_referral_tables_side_by_side(app, few_by_teams):
    # The teams' 3 on time is small and their total too. The partners' 20 and 15 and the
    # domains' 23 and 15 are shown: hiding the partners' and the domains' totals afterwards
    # did not help, they add up to 35 and 38, and 38 less 35 gives the teams' 3.
    assert _worked_out(few_by_teams) == []


def test_the_known_period_gives_nothing_away_side_by_side_either(app, known):
    assert _worked_out(known) == []


def test_a_stricter_municipality_hides_more(app, known):
    known.small_numbers = {"min_count": 20, "rounding": 5}
    db.session.commit()
    tables = _tables(_page(logged_in(app, BELEID), **PERIOD))
    assert tables["partners"]["Schuldhulp Demodorp"][0] == "fewer than 20"


def test_a_period_without_referrals_or_terms_says_so(app, known):
    text = _page(logged_in(app, BELEID), start="2025-07-01", end="2025-09-30")
    assert "<table" not in text
    assert text.count("Nothing to count in this period.") == len(page.TABLE_KEYS)


# --- The list of late items ------------------------------------------------------------------


def _late(client, **query):
    return client.get("/beleid/punctuality/late", query_string=query, headers=ENGLISH)


def test_the_team_lead_lists_the_late_items_of_their_team_with_links(app, known):
    client = logged_in(app, LEAD)
    response = _late(client, **PERIOD)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Late items of Wijkteam Noord" in text and "<caption" in text
    assert "16 late items" in text  # 10 + 3 referrals, 1 referred to Noord, 2 Wmo terms
    for reference in ("WL-2026-800001", "WL-2026-800002", "WL-2026-800003",
                      "WL-2026-800005"):
        assert f'href="/staff/requests/{reference}"' in text
    assert "WL-2026-800004" not in text  # Zuid's referral to Schuldhulp: not Noord's
    assert "Wmo: investigation done (6 weeks after the request)" in text
    assert "2 working days" in text and "8 days" in text
    # The request referred to Noord by Zuid is one the team lead may open.
    assert client.get("/staff/requests/WL-2026-800003").status_code == 200


def test_the_team_lead_cannot_open_another_teams_list(app, known):
    client = logged_in(app, LEAD)
    assert _late(client, **PERIOD, team=_team("zuid").id).status_code == 403
    assert _late(client, **PERIOD, team=_team("noord").id).status_code == 200


def test_a_policy_advisor_asking_for_the_list_is_refused_and_logged(app, known):
    client = logged_in(app, BELEID)
    assert _late(client, **PERIOD).status_code == 403
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.refused")).one()
    assert event.actor_label == BELEID and event.details["role"] == "beleid"
    assert event.details["endpoint"] == "beleid.punctuality_late"
    assert (event.object_type, event.object_id) == ("route", None)


def test_an_administrator_chooses_a_team_and_gets_references_without_links(app, known):
    client = logged_in(app, ADMIN)
    first = _late(client, **PERIOD).get_data(as_text=True)
    assert "Choose a team to see its late items." in first and "<table" not in first
    text = _late(client, **PERIOD, team=_team("zuid").id).get_data(as_text=True)
    assert "Late items of Wijkteam Zuid" in text
    assert "WL-2026-800004" in text and "WL-2026-800003" in text
    assert "/staff/requests/" not in text  # an administrator sees no casework
    unknown = _late(client, **PERIOD, team="99999").get_data(as_text=True)
    assert "This choice is not known" in unknown and '<option selected value="99999">' in unknown


def test_a_wrong_date_on_the_list_gets_a_message_and_no_list(app, known):
    response = _late(logged_in(app, LEAD), start="2026-09-30", end="2026-07-01")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "before its start" in text and "<table" not in text
    assert 'value="2026-09-30"' in text


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("choices", "message"), [
    ({"start": "gisteren"}, "Enter a date like"),
    ({"end": "31-13-2026"}, "Enter a date like"),
    ({"start": "2026-09-01", "end": "2026-07-01"}, "before its start"),
    ({"start": "2000-01-01", "end": "2026-06-01"}, "at most five years"),
])
def test_a_date_that_is_not_right_gets_a_message_and_no_figures(app, known, choices, message):
    text = _page(logged_in(app, BELEID), **{**PERIOD, **choices})
    assert message in text and "error-summary" in text
    assert "<table" not in text
    for value in choices.values():
        assert f'value="{value}"' in text


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_services_and_the_form_say_one_thing_of_a_period_that_ends_before_it_starts(
        app, known, language):
    first, last = dt.date(2026, 9, 1), dt.date(2026, 7, 1)
    with app.test_request_context(headers={"Accept-Language": language}):
        form = PunctualityForm(formdata=MultiDict({"start": first.isoformat(),
                                                   "end": last.isoformat()}))
        assert form.punctuality_filter(TODAY) is None
        for refuse in (punctuality.referral_punctuality, punctuality.legal_punctuality,
                       outcomes.outcomes_by_partner):
            with pytest.raises(InvalidInput) as refused:
                refuse(known, first, last)
            assert form.end.errors == [str(refused.value)], refuse.__name__
        if language == "nl":  # translated, not the English message id
            assert "periode" in form.end.errors[0]


def test_a_download_with_a_wrong_date_goes_back_to_the_page(app, known):
    client = logged_in(app, BELEID)
    response = client.get("/beleid/punctuality/downloads/teams.csv",
                          query_string={"start": "gisteren"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/beleid/punctuality?start=gisteren"
    assert client.get("/beleid/punctuality/downloads/nothing.csv").status_code == 404
    assert client.get("/beleid/punctuality/downloads/all.csv").status_code == 404
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "punctuality.exported")) == 0


# --- Downloads -------------------------------------------------------------------------------


def test_a_table_downloads_as_csv_with_the_pages_cells_and_is_audited(app, known):
    client = logged_in(app, BELEID)
    tables = _tables(_page(client, **PERIOD))
    response = client.get("/beleid/punctuality/downloads/partners.csv", query_string=PERIOD,
                          headers=ENGLISH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "tijdigheid-partners-2026-07-01-2026-09-30.csv" in (
        response.headers["Content-Disposition"])
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                            delimiter=";"))
    assert lines[0] == ["Partner organisation", *COLUMNS]
    rows = {line[0]: line[1:] for line in lines[1:] if line and line[0] != "Period"}
    assert rows == tables["partners"]  # the same words for a suppressed cell, never its count
    assert ["Period", "2026-07-01 to 2026-09-30"] in lines
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "punctuality.exported")).one()
    assert event.actor_label == BELEID and event.object_type == "tenant"
    assert event.details == {"period": {"start": "2026-07-01", "end": "2026-09-30"},
                             "table": "partners", "format": "csv"}


def _ods(data: bytes) -> dict[str, list[list[tuple[str | None, str]]]]:
    document = load(io.BytesIO(data))
    return {table.getAttribute("name"): [
        [(cell.getAttribute("valuetype"), str(cell)) for cell in row.getElementsByType(TableCell)]
        for row in table.getElementsByType(TableRow)]
        for table in document.spreadsheet.getElementsByType(Table)}


def test_every_table_downloads_as_an_opendocument_spreadsheet(app, known):
    client = logged_in(app, LEAD)
    response = client.get("/beleid/punctuality/downloads/all.ods", query_string=PERIOD,
                          headers=ENGLISH)
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _ods(response.get_data())
    assert len(sheets) == len(page.TABLE_KEYS)
    (legal,) = [rows for name, rows in sheets.items() if name.startswith("Wmo legal terms")]
    assert legal[0][0] == ("string", "Owning team")
    assert legal[1][:3] == [("string", "Wijkteam Noord"), ("float", "10"),
                            ("string", "fewer than 10")]
    one = _ods(client.get("/beleid/punctuality/downloads/domains.ods", query_string=PERIOD,
                          headers=ENGLISH).get_data())
    assert list(one) == ["Referral responses per domain"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "punctuality.exported")) == 2


def test_an_export_is_recorded_for_the_users_own_municipality(app, known):
    other = factories.tenant()
    db.session.commit()
    client = logged_in(app, ADMIN)
    client.get("/beleid/punctuality/downloads/legal_terms.csv", query_string=PERIOD)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "punctuality.exported")).one()
    assert event.tenant_id == known.id != other.id
    assert db.session.get(Tenant, event.object_id).slug == "demo"
