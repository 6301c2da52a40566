"""The outcomes per partner in the municipality's workspace (/beleid/outcomes) and the
statement per partner per quarter: who may see them, that they show the service's protected
numbers and never a small one, the downloads, and the choices that are refused.

"Today" is 7 December 2026: the third quarter of 2026 is over, the fourth is running. Every
referral below ended in August 2026 (Dutch summer time)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, Partner, Team
from app.services import outcomes
from app.services.legal import to_utc
from app.services.small_numbers import cell_text
from disclosure import Protected, Rules
from tests import factories
from tests.attacker import each_once, worked_out
from tests.conftest import logged_in

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
ADMIN = "admin@demo.wijkloket.example"
STAFF = "noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
TODAY = dt.date(2026, 12, 7)
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}
IN_Q3 = to_utc(dt.datetime(2026, 8, 12, 14, 0))
NOORD, CENTRUM = "WK999901", "WK999902"
SQUARE = {"type": "Polygon", "coordinates": [[[5.0, 50.0], [5.1, 50.0], [5.1, 50.1],
                                              [5.0, 50.0]]]}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("app.beleid.outcomes.local_today", lambda: TODAY)


def _partner(key: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.key == key))


def _ended(partner, *, wijk=NOORD, state="completed", outcome="geholpen", domain="schulden",
           feedback=None, reason=None):
    team = db.session.scalar(select(Team).where(Team.key == "noord"))
    request = factories.support_request(
        team, wijk_code=wijk, status="closed", closed_at=IN_Q3, feedback=feedback,
        feedback_at=IN_Q3 if feedback else None)
    return factories.referral(
        request, domain, partner, state=state,
        outcome=outcome if state == "completed" else None, state_reason=reason,
        sent_at=IN_Q3 - dt.timedelta(days=20), ended_at=IN_Q3)


@pytest.fixture
def known(demo):
    """Schuldhulp in Q3: in Noord 23 helped (12 answered "ja", 3 "nee") and 3 not reached,
    12 declined ("Geen plek") and 2 returned; in Centrum 12 helped. Welzijn: one helped."""
    schuldhulp, welzijn = _partner("schuldhulp"), _partner("welzijn")
    for number in range(23):
        _ended(schuldhulp, feedback="ja" if number < 12 else "nee" if number < 15 else None)
    for _number in range(3):
        _ended(schuldhulp, outcome="niet_bereikt")
    for _number in range(12):
        _ended(schuldhulp, wijk=CENTRUM)
    for _number in range(12):
        _ended(schuldhulp, state="declined", reason="Geen plek")
    for _number in range(2):
        _ended(schuldhulp, state="returned", reason="Past niet")
    _ended(welzijn, domain="welzijn")
    db.session.commit()
    return demo


class _Tables(HTMLParser):
    """Every table of a page by its caption: a list of rows, each its cells' texts (the
    row's header first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] | None = None
        self._text: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._text = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._rows is not None and self._text is not None:
            self._rows[-1].append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "table" and self._rows is not None:
            self.tables[" ".join((self._caption or "").split())] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._text is not None:
            self._text.append(data)


def _tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _page(client, url="/beleid/outcomes", **query):
    response = client.get(url, query_string=query, headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _data_cells(page: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', page)


def _is_publishable(text: str) -> bool:
    """A cell's text is words, or a rounded count of at least 10, or a percentage."""
    if text in {"fewer than 10", "hidden"} or text.endswith("%"):
        return True
    number = int(text.replace(",", ""))
    return number >= 10 and number % 5 == 0


# --- Who -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [BELEID, LEAD, ADMIN])
def test_a_policy_advisor_a_team_lead_and_an_administrator_see_the_outcomes_per_partner(
        app, known, email):
    page = _page(logged_in(app, email), **PERIOD)
    assert "Schuldhulp Demodorp" in page and "Stichting Welzijn Demodorp" in page
    assert "<caption" in page and 'scope="row"' in page and 'scope="col"' in page
    assert "Completed referrals per district and outcome – Schuldhulp Demodorp" in _tables(page)
    assert re.search(r'href="/beleid/outcomes" aria-current="page"', page)
    assert "<script" not in page.split("</header>")[-1]  # the page works without JavaScript


def test_a_staff_member_is_refused_the_outcomes_and_the_statements(app, known):
    client = logged_in(app, STAFF)
    schuldhulp = _partner("schuldhulp").id
    for url in ("/beleid/outcomes", f"/beleid/outcomes/{schuldhulp}/statement",
                f"/beleid/outcomes/{schuldhulp}/statement.csv",
                f"/beleid/outcomes/{schuldhulp}/statement.ods"):
        assert client.get(url, query_string={"quarter": "2026-Q3"}).status_code == 403, url
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "outcomes.exported")) == 0


def test_the_workspace_menu_links_to_the_outcomes(app, known):
    page = _page(logged_in(app, BELEID), "/beleid/")
    assert 'href="/beleid/outcomes">Outcomes per partner</a>' in page


# --- What is shown ---------------------------------------------------------------------------


def test_the_page_shows_the_services_protected_numbers_for_every_partner(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD)
    tables = _tables(page)
    shown = outcomes.outcomes_by_partner(known, *Q3).protected()
    rules = shown.rules
    with app.test_request_context(headers=ENGLISH):
        for partner in shown.partners:
            completed = tables[f"Completed referrals per district and outcome – {partner.name}"]
            assert completed[0][0] == "District"
            assert [row[0] for row in completed[1:]] == ["Centrum", "Noord", "Zuid",
                                                         "No known district", "Total"]
            for row, cells, total in zip(completed[1:-1], partner.outcomes.cells,
                                         partner.outcomes.row_totals, strict=True):
                assert row[1:] == [cell_text(cell, rules) for cell in (*cells, total)]
            assert completed[-1][1:] == [cell_text(cell, rules) for cell in (
                *partner.outcomes.column_totals, partner.outcomes.total)]
            ended = tables[f"Returned and declined referrals per district – {partner.name}"]
            assert ended[-1][1:] == [cell_text(cell, rules) for cell in (
                *partner.ended_otherwise.column_totals, partner.ended_otherwise.total)]
            answers = tables[f"Residents' answers per district – {partner.name}"]
            assert answers[-1][1:] == [
                *(cell_text(cell, rules) for cell in (*partner.answers.column_totals,
                                                      partner.answers.total)),
                cell_text(partner.share_helped[-1], rules, percent=True)]
            domains = tables[f"Completed referrals per domain and outcome – {partner.name}"]
            assert domains[-1][1:] == completed[-1][1:]  # the same referrals
            for row, cells, total in zip(ended[1:-1], partner.ended_otherwise.cells,
                                         partner.ended_otherwise.row_totals, strict=True):
                assert row[1:] == [cell_text(cell, rules) for cell in (*cells, total)]
            for row, cells, total, share in zip(answers[1:-1], partner.answers.cells,
                                                partner.answers.row_totals,
                                                partner.share_helped[:-1], strict=True):
                assert row[1:] == [*(cell_text(cell, rules) for cell in (*cells, total)),
                                   cell_text(share, rules, percent=True)]
    schuldhulp = tables["Completed referrals per district and outcome – Schuldhulp Demodorp"]
    # Noord's 23 helped, rounded, are shown; its 3 not reached and Centrum's 12 helped (which
    # with the total would give the small ones away) are in words.
    assert schuldhulp[2][:4] == ["Noord", "25", "fewer than 10", "fewer than 10"]
    assert schuldhulp[1][:2] == ["Centrum", "hidden"]
    answers = tables["Residents' answers per district – Schuldhulp Demodorp"]
    assert answers[2] == ["Noord", "10", "fewer than 10", "fewer than 10", "15", "67%"]
    assert tables["Completed referrals per domain and outcome – Schuldhulp Demodorp"][1][0] == \
        "Debt help"


def test_a_small_count_is_shown_in_words_never_as_its_number(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD)
    cells = _data_cells(page)
    assert cells and "fewer than 10" in cells
    for text in cells:
        assert _is_publishable(text), text
    welzijn = _tables(page)[
        "Completed referrals per district and outcome – Stichting Welzijn Demodorp"]
    assert {text for row in welzijn[1:] for text in row[1:]} == {"fewer than 10"}


def test_the_reasons_of_the_partner_are_in_the_statement_only(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD)
    assert "Geen plek" not in page and "Past niet" not in page


def test_a_quarter_chosen_as_the_period_links_to_its_statement(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD)
    schuldhulp = _partner("schuldhulp").id
    assert f'href="/beleid/outcomes/{schuldhulp}/statement?quarter=2026-Q3"' in page
    other = _page(logged_in(app, BELEID), start="2026-08-01", end="2026-09-30")
    assert f'href="/beleid/outcomes/{schuldhulp}/statement"' in other


def test_without_a_period_the_page_shows_the_last_quarter_that_is_over(app, known):
    page = _page(logged_in(app, BELEID))
    assert 'value="2026-07-01"' in page and 'value="2026-09-30"' in page
    assert "Schuldhulp Demodorp" in page and "<table" in page


# --- Filters ---------------------------------------------------------------------------------


def test_the_wijk_filter_keeps_one_wijks_requests(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD, wijk=NOORD)
    completed = _tables(page)[
        "Completed referrals per district and outcome – Schuldhulp Demodorp"]
    assert [row[0] for row in completed[1:]] == ["Noord", "Total"]
    shown = outcomes.outcomes_by_partner(known, *Q3, wijk_code=NOORD).protected(
        _partner("schuldhulp").id).partners[0]
    with app.test_request_context(headers=ENGLISH):
        assert completed[-1][1:] == [cell_text(cell, Rules()) for cell in (
            *shown.outcomes.column_totals, shown.outcomes.total)]
    assert "Centrum" not in {row[0] for row in completed}
    assert f'<option selected value="{NOORD}">' in page


def test_the_domain_filter_keeps_one_domains_referrals(app, known):
    page = _page(logged_in(app, BELEID), **PERIOD, domain="welzijn")
    tables = _tables(page)
    by_domain = tables["Completed referrals per domain and outcome – Schuldhulp Demodorp"]
    assert [row[0] for row in by_domain[1:]] == ["Neighbourhood activities and welfare",
                                                 "Total"]
    assert {text for row in by_domain[1:] for text in row[1:]} == {"fewer than 10"}


@pytest.mark.parametrize(("choices", "message"), [
    ({"wijk": "WK999801"}, "This district is not one of your municipality"),
    ({"domain": "toverij"}, "This choice is not known"),
    ({"start": "gisteren"}, "Enter a date like"),
    ({"start": "2026-09-30", "end": "2026-07-01"}, "before its start"),
])
def test_a_choice_that_is_not_right_gets_a_message_and_no_figures(app, known, choices,
                                                                    message):
    other = factories.tenant()
    db.session.add(Area(tenant_id=other.id, code="WK999801", name="Elderswijk", kind="wijk",
                        year=2026, geometry=SQUARE))
    db.session.commit()
    page = _page(logged_in(app, BELEID), **{**PERIOD, **choices})
    assert message in page and "error-summary" in page
    assert "<table" not in page and "Elderswijk" not in page
    for value in choices.values():  # the form keeps what was asked
        assert f'value="{value}"' in page


# --- The statement ---------------------------------------------------------------------------


def _statement_url(key: str = "schuldhulp", suffix: str = "") -> str:
    return f"/beleid/outcomes/{_partner(key).id}/statement{suffix}"


def test_the_statement_shows_a_quarter_of_one_partner_as_the_service_counts_it(app, known):
    page = _page(logged_in(app, BELEID), _statement_url(), quarter="2026-Q3")
    assert "Outcomes of Schuldhulp Demodorp, 2026-Q3" in page
    tables = _tables(page)
    with app.test_request_context(headers=ENGLISH):  # the statement's words in English
        statement = outcomes.partner_statement(known, _partner("schuldhulp"), "2026-Q3",
                                               today=TODAY)
        expected = {(row.item, row.category): cell_text(row.cell, statement.rules)
                    for row in statement.rows if row.section == "completed"}
        totals = [cell_text(row.cell, statement.rules) for row in statement.totals]
        (share,) = (cell_text(row.cell, statement.rules, percent=True)
                    for row in statement.rows if row.section == "share_helped")
    completed = tables["Completed referrals"]
    assert completed[0] == ["Domain", "Helped", "Referred on to someone else",
                            "Could not reach the resident",
                            "The resident did not want help after all", "Total"]
    assert [row[0] for row in completed[1:]] == ["Debt help", "Other domains", "Total"]
    for row in completed[1:]:
        for category, text in zip(completed[0][1:], row[1:], strict=True):
            # The total of the totals is the statement's total of completed referrals.
            assert text == expected.get((row[0], category), totals[0]), (row[0], category)
    # The one reason for declining counts all 12 declined, whose total the table per district
    # hides: hidden here too.
    assert tables["Declined by the partner"][1:] == [["Geen plek", "hidden"]]
    assert tables["Returned by the partner"][1:] == [["Past niet", "fewer than 10"]]
    assert [row[0] for row in tables["Residents' answers"][1:]] == [
        "Yes, I got the help I needed", "Partly", "No", "Total"]
    assert tables["Totals"][1:] == [[name, text] for name, text in zip(
        ["Completed referrals", "Returned by the partner", "Declined by the partner"], totals,
        strict=True)]
    assert f"Share helped according to residents: {share}" in page
    for text in _data_cells(page):
        assert _is_publishable(text), text
    assert '<option value="2026-Q3" selected>' in page  # the quarter chooser
    assert '<option value="2026-Q4"' not in page  # running: not to choose
    assert re.search(r'aria-current="true">Outcomes per partner', page)


def test_the_statement_without_a_quarter_is_the_last_quarter_that_is_over(app, known):
    page = _page(logged_in(app, BELEID), _statement_url())
    assert "Outcomes of Schuldhulp Demodorp, 2026-Q3" in page


@pytest.mark.parametrize(("quarter", "message"), [
    ("2026-Q4", "2026-Q4 is not over yet"),
    ("2026Q3", "Give the period as a year and a quarter"),
    ("2010-Q1", "There are no figures before 2015-Q1"),
])
def test_a_bad_or_running_quarter_gets_its_message_and_nothing_else(app, known, quarter,
                                                                     message):
    page = _page(logged_in(app, BELEID), _statement_url(), quarter=quarter)
    assert message in page and "error-summary" in page
    assert "Schuldhulp Demodorp" in page  # whose statement it would be
    assert "<table" not in page and "statement.csv" not in page
    response = logged_in(app, BELEID).get(_statement_url(suffix=".csv"),
                                          query_string={"quarter": quarter})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(_statement_url())
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "outcomes.exported")) == 0


def test_a_partner_of_another_municipality_is_not_found(app, known):
    other = factories.tenant()
    elders = factories.partner(other, name="Elders Hulp")
    db.session.commit()
    client = logged_in(app, BELEID)
    for suffix in ("", ".csv", ".ods"):
        for quarter in ("2026-Q3", "2026-Q4"):
            response = client.get(f"/beleid/outcomes/{elders.id}/statement{suffix}",
                                  query_string={"quarter": quarter}, headers=ENGLISH)
            assert response.status_code == 404, (suffix, quarter)
            assert "Elders Hulp" not in response.get_data(as_text=True)
    assert client.get("/beleid/outcomes/999999/statement").status_code == 404


# --- What the page and the statement give away together -------------------------------------


@pytest.fixture
def one_reason_each(demo):
    """Schuldhulp in Q3: Centrum 12 returned and 5 declined, Noord 20 returned and 3
    declined; every return for one reason ("Past niet"), every decline for another ("Geen
    plek")."""
    schuldhulp = _partner("schuldhulp")
    for wijk, returned, declined in ((CENTRUM, 12, 5), (NOORD, 20, 3)):
        for _number in range(returned):
            _ended(schuldhulp, wijk=wijk, state="returned", reason="Past niet")
        for _number in range(declined):
            _ended(schuldhulp, wijk=wijk, state="declined", reason="Geen plek")
    db.session.commit()
    return demo


def _worked_out(app, tenant, reasons: dict[str, int]):
    """What an attacker works out of Schuldhulp's returned and declined referrals in Q3 from
    the page's table per district and the statement's reasons and totals, read side by side.
    ``reasons``: the exact count of each reason (the attacker's answers, to check theirs).

    The attacker knows every number shown exactly (stronger than rounded), that "fewer than
    10" is 0 to 9 and "hidden" at least 10, that every row and column adds up, that a reason
    listed was given at least once, and that a state's reasons add up to its total (no
    reasons listed: there were none)."""
    partner = _partner("schuldhulp")
    found = outcomes.outcomes_by_partner(tenant, *Q3)
    exact = [[row.returned, row.declined] for row in found.partner(partner.id).by_wijk]
    page = found.protected(partner.id).partners[0].ended_otherwise
    with app.test_request_context(headers=ENGLISH):
        statement = outcomes.partner_statement(tenant, partner, "2026-Q3", today=TODAY)
    # The statement's totals are the page's: one count, one way of showing it.
    assert [row.cell for row in statement.totals[1:]] == list(page.column_totals)
    tables, relations = [(exact, page)], []
    R = len(exact)
    for column, state in enumerate(outcomes.ENDED_OTHERWISE):
        rows = [row for row in statement.rows if row.section == state]
        if not rows:
            relations.append([(1, 0, (R, column))])  # nothing listed: the total is 0
            continue
        if any(row.item not in reasons for row in rows):
            continue  # the reasons are not shown: nothing to read
        listed = Protected(tuple((row.cell,) for row in rows), None, None, None, page.rules)
        tables.append(([[reasons[row.item]] for row in rows], listed))
        relations.append([(1, 0, (R, column)), (-1, len(tables) - 1, (len(rows), 0))])
    return worked_out(tables, relations, at_least={
        t: each_once(len(counts)) for t, (counts, _table) in enumerate(tables) if t})


def test_the_page_and_the_statement_together_give_no_suppressed_count_away(app,
                                                                          one_reason_each):
    # Each table alone is safe. But the page hid the 32 returned, while the statement's one
    # reason for returning showed 30 (the 32, rounded): read exactly, the returned are 32,
    # and the page's total of 40 less 32 gives the 8 declined, a small number (and so the
    # count of the one reason for declining). Now the returned total is hidden on the page,
    # in the statement's totals and in its reasons alike, and protected in each of them.
    assert _worked_out(app, one_reason_each, {"Past niet": 32, "Geen plek": 8}) == []


def test_the_known_quarter_gives_nothing_away_either(app, known):
    # The page hid the 12 declined; the statement's one reason for declining showed them.
    assert _worked_out(app, known, {"Geen plek": 12, "Past niet": 2}) == []


# --- Downloads -------------------------------------------------------------------------------


def test_the_statement_downloads_as_csv_with_small_counts_in_words(app, known):
    client = logged_in(app, BELEID)
    response = client.get(_statement_url(suffix=".csv"), query_string={"quarter": "2026-Q3"},
                          headers=ENGLISH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    schuldhulp = _partner("schuldhulp").id
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="uitkomsten-{schuldhulp}-2026-Q3.csv"')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["Part", "Item", "Outcome", "Number"]
    assert rows[1][0] == "Outcomes of Schuldhulp Demodorp, 2026-Q3"
    assert ["Completed referrals", "Debt help", "Helped", "hidden"] in rows
    assert ["Completed referrals", "Debt help", "Could not reach the resident",
            "fewer than 10"] in rows
    assert ["Declined by the partner", "Geen plek", "", "hidden"] in rows
    assert ["Returned by the partner", "Past niet", "", "fewer than 10"] in rows
    for row in rows[6:]:
        assert _is_publishable(row[3]), row
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "outcomes.exported")).one()
    assert (event.object_type, event.object_id) == ("partner", schuldhulp)
    assert event.details == {"quarter": "2026-Q3", "format": "csv"}
    assert event.actor_label == BELEID


def _ods_rows(data: bytes) -> dict[str, list[list[tuple[str | None, str]]]]:
    document = load(io.BytesIO(data))
    return {table.getAttribute("name"): [
        [(cell.getAttribute("valuetype"), str(cell)) for cell in row.getElementsByType(
            TableCell)] for row in table.getElementsByType(TableRow)]
        for table in document.spreadsheet.getElementsByType(Table)}


def test_the_statement_downloads_as_an_opendocument_spreadsheet(app, known):
    client = logged_in(app, BELEID)
    response = client.get(_statement_url(suffix=".ods"), query_string={"quarter": "2026-Q3"},
                          headers=ENGLISH)
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    (rows,) = _ods_rows(response.get_data()).values()
    assert rows[0] == [("string", "Part"), ("string", "Item"), ("string", "Outcome"),
                       ("string", "Number")]
    assert [("string", "Partner organisation"), ("string", "Schuldhulp Demodorp"),
            ("string", ""), ("string", "")] in rows
    assert [("string", "Declined by the partner"), ("string", "Geen plek"), ("string", ""),
            ("string", "hidden")] in rows
    assert [("string", "Completed referrals"), ("string", "Debt help"),
            ("string", "Could not reach the resident"), ("string", "fewer than 10")] in rows
    for row in rows[6:]:  # a count as a number, a small one in words; never a small number
        kind, text = row[3]
        assert (kind == "float" and int(text) >= 10) or text in {"fewer than 10", "hidden"}, row
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "outcomes.exported")).one()
    assert event.details["format"] == "ods"
