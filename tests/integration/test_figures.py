"""The municipality's figures (/beleid): who may see them, what they count, what they never
show, and the downloads."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace

import pytest
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, Partner, Referral, SupportRequest, Team, User
from app.services import figures
from app.services.figures import FigureFilter
from disclosure import Status
from tests import factories
from tests.conftest import logged_in

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
#: The second quarter of 2026: every request below comes in during May.
PERIOD = {"start": "2026-04-01", "end": "2026-06-30"}
MAY = dt.datetime(2026, 5, 4, 9, 0)
DAY = dt.timedelta(days=1)


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


@pytest.fixture
def known(demo):
    """35 requests in May 2026: 20 in Noord (web, closed after 2, 4, … 40 days, first contact
    after 1 … 20 days; the first 15 referred to Schuldhulp, sent after a day, accepted after
    two; the first 10 turning 18), 15 in Centrum (phone, 70 years old, still open)."""
    noord = _team("noord")
    schuldhulp = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    for k in range(1, 21):
        request = factories.support_request(
            noord, created_at=MAY, wijk_code="WK999901", buurt_code="BU99990101", age=40,
            life_areas=["geld"], status="closed", closed_at=MAY + 2 * k * DAY,
            first_contact_at=MAY + k * DAY)
        if k <= 15:
            factories.referral(request, "schulden", schuldhulp, state="accepted",
                               created_at=MAY, sent_at=MAY + DAY, accepted_at=MAY + 2 * DAY)
        if k <= 10:
            factories.task(request, "transition_18", created_at=MAY)
    for _k in range(15):
        factories.support_request(noord, created_at=MAY, wijk_code="WK999902",
                                  buurt_code="BU99990201", channel="telefoon", age=70,
                                  life_areas=["geld", "contact"])
    db.session.commit()
    return demo


def _cell(result: figures.Figures, table: str, row: str, column: int = 0) -> figures.Figure:
    found = result.table(table)
    assert found is not None
    rows = [*found.rows, *((found.total,) if found.total else ())]
    return next(r for r in rows if r.code == row).cells[column]


def _period(**choices) -> FigureFilter:
    return FigureFilter(start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30), **choices)


# --- Who -------------------------------------------------------------------------------------


def test_a_policy_advisor_lands_on_the_figures_after_logging_in(app, demo):
    client = logged_in(app, BELEID)
    assert client.get("/login").headers["Location"] == "/beleid/"  # the role's home
    response = client.get("/beleid/", headers=ENGLISH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="img"' in page and "<caption" in page and 'scope="row"' in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/staff/requests/{ref}", "/staff/",
                                 "/partner/referrals/{referral}"])
def test_a_policy_advisor_opening_casework_is_refused_and_logged(app, referral, url):
    request = db.session.get(SupportRequest, referral.request_id)
    client = logged_in(app, BELEID)
    response = client.get(url.format(ref=request.reference, referral=referral.id))
    assert response.status_code == 403
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.refused")).one()
    assert event.actor_label == BELEID and event.details["role"] == "beleid"
    expected = {"/staff/requests/{ref}": ("support_request", request.id),
                "/staff/": ("route", None),
                "/partner/referrals/{referral}": ("referral", referral.id)}[url]
    assert (event.object_type, event.object_id) == expected


def test_the_refused_attempt_shows_in_the_team_leads_access_log_not_in_the_timeline(
        app, referral):
    request = db.session.get(SupportRequest, referral.request_id)
    logged_in(app, BELEID).get(f"/staff/requests/{request.reference}")
    lead = logged_in(app, LEAD)
    log = lead.get(f"/staff/access-log?reference={request.reference}", headers=ENGLISH)
    assert "Tried to open it without access (refused)" in log.get_data(as_text=True)
    page = lead.get(f"/staff/requests/{request.reference}", headers=ENGLISH)
    assert "without access" not in page.get_data(as_text=True)


def test_an_administrator_and_the_command_line_make_policy_advisors_without_a_team(app, demo):
    from tests.conftest import csrf_token

    admin = logged_in(app, "admin@demo.wijkloket.example")
    noord = _team("noord").id
    page = admin.get("/admin/users/new").get_data(as_text=True)
    response = admin.post("/admin/users/new", data={
        "csrf_token": csrf_token(page), "name": "Pim Beleid", "email": "pim@demo.example",
        "role": "beleid", "team": noord, "partner": ""})
    assert response.status_code == 302
    result = app.test_cli_runner().invoke(args=[
        "user", "create", "--tenant", "demo", "--name", "Ria Regio", "--email",
        "ria@demo.example", "--role", "beleid", "--team", "noord"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    made = db.session.execute(select(User.role, User.team_id, User.partner_id).where(
        User.email.in_(("pim@demo.example", "ria@demo.example")))).all()
    assert made == [("beleid", None, None)] * 2


def test_a_staff_member_is_refused_the_figures_without_a_log_entry(app, demo):
    client = logged_in(app, "noord@demo.wijkloket.example")
    assert client.get("/beleid/").status_code == 403
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "access.refused")) == 0


# --- What is counted -------------------------------------------------------------------------


def test_the_figures_count_the_known_requests(app, known):
    result = figures.figures(known, _period())
    assert _cell(result, "requests", "received").value == 35
    assert _cell(result, "requests", "closed").value == 20
    assert _cell(result, "requests", "open").value == 15
    # Zuid and the unknown district have none: fewer than 10. So that 35 - 20 - those cannot
    # give Centrum's 15 away, Centrum is hidden too; the total stays.
    assert _cell(result, "areas", "WK999901").value == 20
    assert _cell(result, "areas", "WK999903").status is Status.SMALL
    assert _cell(result, "areas", "WK999902").status is Status.HIDDEN
    assert _cell(result, "areas", "total").value == 35
    assert _cell(result, "channels", "web").value == 20
    assert _cell(result, "age_bands", "23-64").value == 20
    assert _cell(result, "life_areas", "geld").value == 35  # no total: areas overlap
    assert _cell(result, "life_areas", "contact").value == 15
    assert result.table("life_areas").total is None
    assert _cell(result, "referral_states", "total").value == 15
    assert _cell(result, "referral_states", "declined").status is Status.SMALL
    assert _cell(result, "situations", "transition_18").value == 10
    assert _cell(result, "situations", "reopened").status is Status.SMALL
    assert _cell(result, "situations", "no_fixed_address").status is Status.SMALL


def test_the_times_are_medians_and_90th_percentiles_in_days(app, known):
    result = figures.figures(known, _period())
    # First contact after 1 … 20 days; closure after 2, 4 … 40 days.
    assert [_cell(result, "times", "first_contact", c).value for c in range(3)] == [20, 10.5,
                                                                                   18.1]
    assert [_cell(result, "times", "closure", c).value for c in range(3)] == [20, 21.0, 36.2]
    assert [_cell(result, "times", "first_referral", c).value for c in range(3)] == [15, 1.0,
                                                                                    1.0]
    assert [_cell(result, "times", "first_acceptance", c).value for c in (1, 2)] == [2.0, 2.0]


def test_the_filters_narrow_every_figure(app, known):
    schuldhulp = db.session.scalar(select(Partner.id).where(Partner.key == "schuldhulp"))
    by_partner = figures.figures(known, _period(partner_id=schuldhulp))
    assert _cell(by_partner, "requests", "received").value == 15
    assert _cell(by_partner, "referral_domains", "total").value == 15
    assert _cell(by_partner, "referral_domains", "wmo").status is Status.SMALL
    by_channel = figures.figures(known, _period(channel="telefoon", age_band="65+"))
    assert _cell(by_channel, "requests", "received").value == 15
    assert _cell(by_channel, "life_areas", "contact").value == 15
    # The group the filter fixes is the only row of its table.
    assert [row.code for row in by_channel.table("channels").rows] == ["telefoon"]
    assert _cell(by_channel, "age_bands", "65+").value == 15
    by_wijk = figures.figures(known, _period(wijk="WK999901"))
    assert [row.code for row in by_wijk.table("areas").rows] == [
        "BU99990101", "BU99990102", "unknown"]  # with a district chosen: its buurten
    assert _cell(by_wijk, "areas", "total").value == 20
    outside = figures.figures(known, FigureFilter(start=dt.date(2026, 7, 1),
                                                  end=dt.date(2026, 9, 30)))
    assert _cell(outside, "requests", "received").status is Status.SMALL
    assert _cell(outside, "requests", "open").value == 15  # still open after June


def test_a_partner_chosen_counts_its_requests_received_before_the_period(app, demo):
    """The partner's requests come from its referrals' rows by their receipt: those received
    before the period still count when they close in it, stay open at its end, or get a
    task in it; the partner's requests that closed before it, and other requests, do not.
    Ten of each, so that every number is shown."""
    noord = _team("noord")
    schuldhulp = db.session.scalar(select(Partner).where(Partner.key == "schuldhulp"))
    june = dt.datetime(2026, 6, 5, 9, 0)

    def made(created_at: dt.datetime, *, to_partner: bool = True, **fields):
        made = []
        for _k in range(10):
            request = factories.support_request(
                noord, created_at=created_at, wijk_code="WK999901", buurt_code="BU99990101",
                age=40, life_areas=["geld"], **fields)
            if to_partner:
                factories.referral(request, "schulden", schuldhulp, state="accepted",
                                   created_at=created_at, sent_at=created_at)
            made.append(request)
        return made

    closed_in_june = made(MAY, status="closed", closed_at=june + 5 * DAY)
    made(MAY)  # still open
    made(MAY, status="closed", closed_at=MAY + 6 * DAY)  # closed before the period
    made(MAY, to_partner=False)  # not referred to the partner
    made(june)  # received in the period
    for request in closed_in_june:
        factories.task(request, figures.TRANSITION_TASK, created_at=june)
    db.session.commit()
    june_only = FigureFilter(start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30),
                             partner_id=schuldhulp.id)
    result = figures.figures(demo, june_only)
    # Received: the one district's row (the total is hidden: the other rows are empty).
    assert _cell(result, "areas", "WK999901").value == 10
    assert _cell(result, "requests", "closed").value == 10
    assert _cell(result, "requests", "open").value == 20
    assert _cell(result, "situations", "transition_18").value == 10
    everyone = figures.figures(demo, replace(june_only, partner_id=None))
    assert _cell(everyone, "requests", "open").value == 30


def test_a_filter_that_isolates_one_person_shows_no_number(app, known):
    zuid = _team("zuid")
    factories.support_request(zuid, created_at=MAY, wijk_code="WK999903",
                              buurt_code="BU99990301", age=19, life_areas=["wonen"],
                              status="closed", closed_at=MAY + 3 * DAY, first_contact_at=MAY)
    db.session.commit()
    client = logged_in(app, BELEID)
    response = client.get("/beleid/", query_string={**PERIOD, "buurt": "BU99990301",
                                                    "age_band": "18-22", "life_area": "wonen"},
                          headers=ENGLISH)
    page = response.get_data(as_text=True)
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert cells and "fewer than 10" in cells
    for text in cells:  # every count: suppressed, or at least 10; no time of one person
        assert text in {"fewer than 10", "hidden"} or float(text.replace(",", "")) >= 10, text
    assert "3.0" not in cells and "3" not in cells


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("choices", "message"), [
    ({"wijk": "WK000001"}, "This district is not one of your municipality"),
    ({"buurt": "BU00000001"}, "This neighbourhood is not one of your municipality"),
    ({"wijk": "WK999901", "buurt": "BU99990301"}, "not in the chosen district"),
    ({"domain": "toverij"}, "This choice is not known"),
    ({"team": "99999"}, "This choice is not known"),
    ({"age_band": "200+"}, "This choice is not known"),
    ({"start": "gisteren"}, "Enter a date like"),
    ({"start": "2026-07-01", "end": "2026-06-01"}, "before its start"),
    ({"start": "2000-01-01", "end": "2026-06-01"}, "at most five years"),
])
def test_a_choice_that_is_not_right_gets_a_message_and_no_figures(app, known, choices,
                                                                    message):
    client = logged_in(app, BELEID)
    response = client.get("/beleid/", query_string={**PERIOD, **choices}, headers=ENGLISH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "error-summary" in page
    assert "<table" not in page  # nothing shown for a choice that is not one
    for value in choices.values():  # the form keeps what was asked
        assert f'value="{value}"' in page


def test_a_district_of_another_municipality_is_refused(app, known):
    other = factories.tenant()
    db.session.add(Area(tenant_id=other.id, code="WK999801", name="Elderswijk", kind="wijk",
                        year=2026, geometry={}))
    db.session.commit()
    client = logged_in(app, BELEID)
    page = client.get("/beleid/", query_string={**PERIOD, "wijk": "WK999801"},
                      headers=ENGLISH).get_data(as_text=True)
    assert "This district is not one of your municipality" in page
    assert "Elderswijk" not in page and "<table" not in page


def test_a_download_with_a_wrong_choice_goes_back_to_the_page(app, known):
    client = logged_in(app, BELEID)
    response = client.get("/beleid/downloads/requests.csv", query_string={"wijk": "WK0"})
    assert response.status_code == 302 and "/beleid/" in response.headers["Location"]
    assert client.get("/beleid/downloads/nothing.csv").status_code == 404
    assert client.get("/beleid/downloads/all.csv").status_code == 404


# --- Downloads -------------------------------------------------------------------------------


def test_a_table_downloads_as_csv_for_a_dutch_spreadsheet(app, known):
    client = logged_in(app, BELEID)
    response = client.get("/beleid/downloads/times.csv", query_string=PERIOD,
                          headers=ENGLISH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert lines[0].split(";")[1:] == ["Requests that got there", "Median (days)",
                                       "90th percentile (days)"]
    assert "To closure;20;21,0;36,2" in lines
    assert any(line.startswith("Period;2026-04-01 to 2026-06-30") for line in lines)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "figures.exported")).one()
    assert event.details["table"] == "times" and event.details["format"] == "csv"
    assert event.details["filter"]["start"] == "2026-04-01"


def test_a_suppressed_cell_downloads_as_words_never_as_its_number(app, known):
    client = logged_in(app, BELEID)
    text = client.get("/beleid/downloads/situations.csv", query_string=PERIOD,
                      headers=ENGLISH).get_data(as_text=True)
    assert "Not helped, says the resident: looked at again;fewer than 10" in text
    assert ";0\r\n" not in text


def _ods_rows(data: bytes) -> dict[str, list[list[tuple[str | None, str]]]]:
    document = load(io.BytesIO(data))
    sheets = {}
    for table in document.spreadsheet.getElementsByType(Table):
        sheets[table.getAttribute("name")] = [
            [(cell.getAttribute("valuetype"), str(cell)) for cell in row.getElementsByType(
                TableCell)] for row in table.getElementsByType(TableRow)]
    return sheets


def test_every_table_downloads_as_an_opendocument_spreadsheet(app, known):
    client = logged_in(app, BELEID)
    response = client.get("/beleid/downloads/all.ods", query_string=PERIOD, headers=ENGLISH)
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _ods_rows(response.get_data())
    assert len(sheets) == len(figures.TABLE_KEYS)
    requests = sheets["Requests"]
    assert requests[0] == [("string", "Requests"), ("string", "Number")]
    assert requests[1] == [("string", "Received in the period"), ("float", "35")]
    situations = sheets["Situations to watch"]
    assert ("string", "fewer than 10") in situations[3]
    one = _ods_rows(client.get("/beleid/downloads/times.ods", query_string=PERIOD,
                               headers=ENGLISH).get_data())
    (times,) = one.values()
    assert times[4] == [("string", "To closure"), ("float", "20"), ("float", "21.0"),
                        ("float", "36.2")]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "figures.exported")) == 2


def test_a_team_lead_and_an_administrator_see_the_figures_too(app, known):
    for email in (LEAD, "admin@demo.wijkloket.example"):
        page = logged_in(app, email).get("/beleid/", query_string=PERIOD, headers=ENGLISH)
        assert page.status_code == 200
        assert "Received in the period" in page.get_data(as_text=True)


# --- The parts -------------------------------------------------------------------------------


def test_the_quick_periods_are_whole_quarters_and_years():
    periods = figures.quick_periods(dt.date(2026, 2, 10))
    assert periods["this_quarter"] == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert periods["last_quarter"] == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert periods["last_year"] == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_the_percentile_interpolates_as_postgresql_does():
    assert figures.percentile([], 0.5) is None
    assert figures.percentile([4.0], 0.9) == 4.0
    assert figures.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert figures.percentile([float(v) for v in range(1, 21)], 0.9) == pytest.approx(18.1)


def test_a_merged_duplicate_is_not_counted(app, known):
    original = db.session.scalars(select(SupportRequest).order_by(SupportRequest.id)).first()
    for _k in range(5):
        factories.support_request(_team("noord"), created_at=MAY, merged_into_id=original.id,
                                  status="closed", closed_at=MAY)
    db.session.commit()
    result = figures.figures(known, _period())
    assert _cell(result, "requests", "received").value == 35
    assert db.session.scalar(select(func.count(Referral.id))) == 15
