"""The workspace's page about the path to work (/beleid/progression): who may see it, what it
counts, what it never shows, bad choices, and the downloads."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from scipy.optimize import linprog
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, ProgressionStep, Team, Tenant, User
from app.services import progression
from app.services.figures import choices_for
from app.services.progression import PathFilter
from disclosure import Protected, Rules, Status, protect
from tests import factories
from tests.conftest import logged_in

BELEID = "beleid@demo.wijkloket.example"
LEAD = "lead-noord@demo.wijkloket.example"
ADMIN = "admin@demo.wijkloket.example"
STAFF = "noord@demo.wijkloket.example"
ENGLISH = {"Accept-Language": "en"}
URL = "/beleid/progression"
#: The first quarter of 2026.
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _people(count: int, team: Team, wijk: str | None, *steps: tuple[str, str]) -> None:
    """``count`` requests of ``team`` in ``wijk``, each with ``steps`` as (code, ISO date)."""
    author = db.session.scalar(select(User).where(User.team_id == team.id)) \
        or factories.user(db.session.get_one(Tenant, team.tenant_id), team=team)
    for _k in range(count):
        request = factories.support_request(team, wijk_code=wijk,
                                            created_at=dt.datetime(2025, 1, 1, 12))
        db.session.flush()
        for code, day in steps:
            db.session.add(ProgressionStep(tenant_id=request.tenant_id, request_id=request.id,
                                           step=code, happened_on=dt.date.fromisoformat(day),
                                           recorded_by_id=author.id))
    db.session.flush()


@pytest.fixture
def paths(demo):
    """Paths in the demo municipality (and one elsewhere) with known figures for Q1 2026:

    - Noord (WK999901): 12 people from day activities to volunteering after 30 days; 3 who
      went on after 10 days and back after 30 more; 20 from volunteering to paid work after
      50 days;
    - Centrum (WK999902): 11 from day activities (in December) to sheltered work after 70
      days; 12 from sheltered work (in November) to paid work after 92 days; 10 with only a
      first step;
    - no wijk: 2 who started volunteering and reached paid work only in April;
    - another municipality: 40 from day activities to paid work.

    So: 61 moves (15 day activities → volunteering, 11 → sheltered work, 3 volunteering →
    day activities, 20 → paid work, 12 sheltered → paid work); 70 people with a step, 58 of
    whom moved on.
    """
    noord = _team("noord")
    _people(12, noord, "WK999901", ("dagbesteding", "2026-01-05"),
            ("vrijwilligerswerk", "2026-02-04"))
    _people(3, noord, "WK999901", ("dagbesteding", "2026-01-10"),
            ("vrijwilligerswerk", "2026-01-20"), ("dagbesteding", "2026-02-19"))
    _people(20, noord, "WK999901", ("vrijwilligerswerk", "2026-01-10"),
            ("betaald_werk", "2026-03-01"))
    _people(11, noord, "WK999902", ("dagbesteding", "2025-12-01"),
            ("beschut_werk", "2026-02-09"))
    _people(12, noord, "WK999902", ("beschut_werk", "2025-11-01"),
            ("betaald_werk", "2026-02-01"))
    _people(10, noord, "WK999902", ("dagbesteding", "2026-02-01"))
    _people(2, noord, None, ("vrijwilligerswerk", "2026-01-15"), ("betaald_werk", "2026-04-15"))
    elders = factories.team(factories.tenant("elders"))
    _people(40, elders, "WK999901", ("dagbesteding", "2026-01-01"),
            ("betaald_werk", "2026-01-02"))
    db.session.commit()
    return demo


def _published(tenant, **choices) -> progression.PublishedPath:
    wanted = PathFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), **choices)
    return progression.published_figures(tenant, wanted, choices_for(tenant.id).wijken)


def _cells(result: progression.PublishedPath, key: str) -> dict[str, list]:
    table = result.table(key)
    assert table is not None
    rows = [*table.rows, *((table.total,) if table.total else ())]
    return {row.code: [None if cell is None else (cell.status, cell.value)
                       for cell in row.cells] for row in rows}


SHOWN, SMALL, HIDDEN = Status.SHOWN, Status.SMALL, Status.HIDDEN


# --- Who -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [BELEID, LEAD, ADMIN])
def test_a_policy_advisor_a_team_lead_and_an_administrator_see_the_path(app, paths, email):
    response = logged_in(app, email).get(URL, query_string=Q1, headers=ENGLISH)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "People on the path, by district" in page
    assert "<caption" in page and 'scope="row"' in page and 'scope="col"' in page
    assert "<script" not in page[page.index("<main"):page.index("</main>")]
    start = page.index('class="main-nav')
    nav = page[start:page.index("</nav>", start)]
    assert f'href="{URL}" aria-current="page"' in nav


def test_a_staff_member_is_refused_the_path(app, paths):
    client = logged_in(app, STAFF)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/downloads/moves.csv").status_code == 403
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == progression.EXPORTED_EVENT)) == 0


# --- What is counted -------------------------------------------------------------------------


def test_the_people_who_moved_on_are_counted_per_district_rounded_and_protected(app, paths):
    people = _cells(_published(paths), "people")
    # Moved on / not moved on (yet) / people with a step / median days between two steps.
    assert people["WK999902"] == [(SHOWN, 25), (SHOWN, 10), (SHOWN, 35), (SHOWN, 92.0)]
    assert people["total"] == [(SHOWN, 60), (SHOWN, 10), (SHOWN, 70), (SHOWN, 50.0)]
    assert people["WK999903"][:3] == [(SMALL, None)] * 3  # Zuid: nobody
    assert people["unknown"] == [(SMALL, None)] * 4  # 2 people, no move in the period
    # Noord's 35 would give Zuid's and the unknown's small numbers away (70 - 35 - 35):
    # hidden, and its 0 who did not move on is small; its median (38 moves) stays.
    assert people["WK999901"] == [(HIDDEN, None), (SMALL, None), (HIDDEN, None),
                                  (SHOWN, 50.0)]
    # With Noord chosen, its people are shown; its moved on is hidden, or 35 - 35 gives 0.
    noord = _cells(_published(paths, wijk="WK999901"), "people")
    assert noord["WK999901"] == [(HIDDEN, None), (SMALL, None), (SHOWN, 35), (SHOWN, 50.0)]


def test_the_moves_go_from_which_step_to_which_as_one_protected_table(app, paths):
    result = _published(paths)
    moves = _cells(result, "moves")
    steps = progression.PROGRESSION_STEPS
    # Rows: from; columns: to (day activities, volunteering, sheltered work, paid work, total).
    assert [moves[step][i] for i, step in enumerate(steps)] == [None] * 4  # no such move
    assert moves["total"] == [(SMALL, None), (SHOWN, 15), (HIDDEN, None), (SHOWN, 30),
                              (SHOWN, 60)]
    assert moves["beschut_werk"][3:] == [(HIDDEN, None), (SHOWN, 10)]
    assert moves["vrijwilligerswerk"][0] == (SMALL, None)  # 3 stepped back
    # The 40 of the other municipality went from day activities to paid work: none here.
    assert moves["dagbesteding"][3] == (SMALL, None)
    exact = [[0, 15, 11, 0], [3, 0, 0, 20], [0, 0, 0, 12], [0, 0, 0, 0]]
    # What is shown is what the protection of the exact moves gives, and it gives nothing
    # away to someone who knows that a step to the same step is no move.
    protected = progression.protect_moves(exact, result.rules)
    assert [[(cell.status, cell.value) for c, cell in enumerate(row) if c != r]
            for r, row in enumerate(protected.cells)] == [
        [cell for cell in moves[step][:4] if cell is not None] for step in steps]
    _assert_moves_are_safe(exact, protected)
    days = _cells(result, "days")
    assert days["dagbesteding"] == [None, (SHOWN, 30.0), (SHOWN, 70.0), (SMALL, None)]
    assert days["vrijwilligerswerk"] == [(SMALL, None), None, (SMALL, None), (SHOWN, 50.0)]
    assert days["beschut_werk"] == [(SMALL, None), (SMALL, None), None, (SHOWN, 92.0)]


def test_only_the_chosen_district_and_the_period_count(app, paths):
    centrum = _published(paths, wijk="WK999902")
    assert list(_cells(centrum, "people")) == ["WK999902", "total"]
    moves = _cells(centrum, "moves")
    assert moves["dagbesteding"][1] == (SMALL, None)  # no volunteering in Centrum
    assert moves["beschut_werk"][3] == (SHOWN, 10)  # 12 to paid work
    assert moves["dagbesteding"][4] == (SHOWN, 10)  # 11 from day activities
    april = progression.published_figures(
        paths, PathFilter(dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        choices_for(paths.id).wijken)
    assert _cells(april, "people")["total"] == [(SMALL, None)] * 4  # the 2 without a wijk
    with pytest.raises(ValueError, match="ends before"):
        progression.published_figures(paths, PathFilter(dt.date(2026, 2, 1),
                                                        dt.date(2026, 1, 1)), {})


def test_the_page_shows_the_numbers_and_small_groups_only_in_words(app, paths):
    page = logged_in(app, BELEID).get(URL, query_string=Q1,
                                      headers=ENGLISH).get_data(as_text=True)
    cells = re.findall(r'<td class="num">(.*?)</td>', page)
    assert "fewer than 10" in cells and "15" in cells and "30.0" in cells
    for text in cells:
        if "aria-hidden" in text:
            assert "no move: the same step" in text
            continue
        assert text in {"fewer than 10", "hidden"} or float(text.replace(",", "")) >= 10, text
    assert "3" not in cells and "2" not in cells


# --- Bad choices -----------------------------------------------------------------------------


@pytest.mark.parametrize(("choices", "message"), [
    ({"start": "gisteren"}, "Enter a date like"),
    ({"end": "31-02-2026"}, "Enter a date like"),
    ({"start": "2026-07-01", "end": "2026-06-01"}, "before its start"),
    ({"start": "2000-01-01", "end": "2026-06-01"}, "at most five years"),
])
def test_a_bad_date_keeps_what_was_typed_and_shows_a_message_and_no_figures(app, paths,
                                                                             choices, message):
    response = logged_in(app, BELEID).get(URL, query_string={**Q1, **choices},
                                          headers=ENGLISH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "error-summary" in page
    assert "<table" not in page
    for value in choices.values():
        assert f'value="{value}"' in page


def test_a_district_of_another_municipality_is_refused(app, paths):
    other = db.session.scalar(select(Tenant).where(Tenant.slug == "elders"))
    db.session.add(Area(tenant_id=other.id, code="WK999801", name="Elderswijk", kind="wijk",
                        year=2026, geometry={}))
    db.session.commit()
    client = logged_in(app, BELEID)
    page = client.get(URL, query_string={**Q1, "wijk": "WK999801"},
                      headers=ENGLISH).get_data(as_text=True)
    assert "This district is not one of your municipality" in page
    assert "Elderswijk" not in page and "<table" not in page
    download = client.get(f"{URL}/downloads/moves.csv", query_string={"wijk": "WK999801"})
    assert download.status_code == 302 and URL in download.headers["Location"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == progression.EXPORTED_EVENT)) == 0


def test_an_unknown_table_is_not_found(app, paths):
    client = logged_in(app, BELEID)
    assert client.get(f"{URL}/downloads/nothing.csv").status_code == 404
    assert client.get(f"{URL}/downloads/all.csv").status_code == 404


# --- Downloads -------------------------------------------------------------------------------


def test_a_table_downloads_as_csv_with_small_groups_in_words_and_is_audited(app, paths):
    client = logged_in(app, BELEID)
    response = client.get(f"{URL}/downloads/moves.csv", query_string=Q1, headers=ENGLISH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").split("\r\n")
    assert lines[0].split(";") == ["From (rows) / to (columns)", "Day activities",
                                   "Volunteering", "Sheltered work", "Paid work", "Total"]
    assert lines[1].split(";") == ["Day activities", "–", "hidden", "hidden", "fewer than 10",
                                   "hidden"]
    assert lines[2].split(";")[:2] == ["Volunteering", "fewer than 10"]  # 3 stepped back
    assert lines[5] == "Total;fewer than 10;15;hidden;30;60"
    assert any(line.startswith("Period;2026-01-01 to 2026-03-31") for line in lines)
    assert ";3;" not in ";".join(lines) and ";11;" not in ";".join(lines)
    days = client.get(f"{URL}/downloads/days.csv", query_string=Q1,
                      headers=ENGLISH).get_data(as_text=True)
    assert "Day activities;–;30,0;70,0;fewer than 10" in days
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == progression.EXPORTED_EVENT).order_by(AuditEvent.id)).all()
    assert [(e.details["table"], e.details["format"]) for e in events] == [
        ("moves", "csv"), ("days", "csv")]
    assert events[0].details["filter"] == Q1 and events[0].object_type == "tenant"


def _ods_rows(data: bytes) -> dict[str, list[list[tuple[str | None, str]]]]:
    document = load(io.BytesIO(data))
    return {table.getAttribute("name"): [
        [(cell.getAttribute("valuetype"), str(cell)) for cell in row.getElementsByType(TableCell)]
        for row in table.getElementsByType(TableRow)]
        for table in document.spreadsheet.getElementsByType(Table)}


def test_every_table_downloads_as_an_opendocument_spreadsheet(app, paths):
    client = logged_in(app, BELEID)
    response = client.get(f"{URL}/downloads/all.ods", query_string={**Q1, "wijk": "WK999901"},
                          headers=ENGLISH)
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _ods_rows(response.get_data())
    assert len(sheets) == len(progression.TABLE_KEYS)
    people = sheets["People on the path, by district"]
    assert people[1] == [("string", "Noord"), ("string", "hidden"), ("string", "fewer than 10"),
                         ("float", "35"), ("float", "50.0")]
    moves = sheets["Moves from one step to another"]
    assert ("string", "fewer than 10") in moves[2]  # 3 stepped back
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == progression.EXPORTED_EVENT))
    assert event.details == {"filter": {**Q1, "wijk": "WK999901"}, "table": "all",
                             "format": "ods"}


def test_the_dutch_page_and_download_speak_dutch(app, paths):
    client = logged_in(app, BELEID)
    page = client.get(URL, query_string=Q1).get_data(as_text=True)
    assert "minder dan 10" in page and "Dagbesteding" in page
    text = client.get(f"{URL}/downloads/days.csv", query_string=Q1).get_data(as_text=True)
    assert "minder dan 10" in text


# --- Protecting a table of moves ---------------------------------------------------------------


def _assert_moves_are_safe(counts: list[list[int]], table: Protected) -> None:
    """An attacker who knows every shown count exactly (not rounded), that a small cell is
    0..min_count-1, a hidden one at least min_count, and that a step to the same step is 0,
    solves for the lowest and highest value of each suppressed cell: they must differ."""
    rules, size = table.rules, len(counts)
    x = [[*row, sum(row)] for row in counts]
    x.append([sum(row[c] for row in x) for c in range(size + 1)])
    grid = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.total])
    unknown = [(r, c) for r in range(size + 1) for c in range(size + 1)
               if not (r == c < size) and not grid[r][c].shown]
    index = {rc: i for i, rc in enumerate(unknown)}
    bounds = [(0, rules.min_count - 1) if grid[r][c].status is Status.SMALL
              else (rules.min_count, None) for r, c in unknown]
    equations, constants = [], []
    lines = [[(r, c) for c in range(size + 1)] for r in range(size + 1)]
    lines += [[(r, c) for r in range(size + 1)] for c in range(size + 1)]
    for *parts, total in lines:
        row = np.zeros(len(unknown))
        constant = 0.0
        for sign, rc in [(1, part) for part in parts] + [(-1, total)]:
            if rc in index:
                row[index[rc]] += sign
            else:  # shown, or a known zero
                constant -= sign * x[rc[0]][rc[1]]
        if row.any():
            equations.append(row)
            constants.append(constant)
    for (r, c), i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1
        low = linprog(objective, A_eq=equations, b_eq=constants, bounds=bounds)
        high = linprog(-objective, A_eq=equations, b_eq=constants, bounds=bounds)
        assert low.status == 0, low.message
        spread = (-high.fun if high.status == 0 else float("inf")) - low.fun
        assert spread >= 1 - 1e-7, f"cell {(r, c)} = {x[r][c]} can be worked out: {counts}"


def _with_zero_diagonal(counts: list[list[int]]) -> list[list[int]]:
    return [[0 if r == c else value for c, value in enumerate(row)]
            for r, row in enumerate(counts)]


_count = st.one_of(st.integers(0, 12), st.integers(0, 300))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda size: st.lists(
    st.lists(_count, min_size=size, max_size=size), min_size=size, max_size=size)))
def test_no_suppressed_move_can_be_worked_out_by_someone_who_knows_the_diagonal(counts):
    counts = _with_zero_diagonal(counts)
    table = progression.protect_moves(counts, Rules())
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            if r != c:
                assert (table.cells[r][c].status is Status.SMALL) == (value < 10)
    _assert_moves_are_safe(counts, table)


def test_the_known_zeros_hide_nothing_and_protect_nothing():
    big = _with_zero_diagonal([[50] * 4 for _ in range(4)])
    # Without a small move nothing is hidden; the library alone would hide real moves to
    # protect the zeros on the diagonal.
    assert progression.protect_moves(big, Rules()).suppressed() == []
    assert any(not cell.shown for r, row in enumerate(protect(big).cells)
               for c, cell in enumerate(row) if r != c)
    # One small move: the library alone leans on the zeros, which someone who knows them
    # undoes; with the diagonal known it hides a real rectangle.
    counts = _with_zero_diagonal([[0, 3, 40, 60], [30, 0, 50, 70], [45, 55, 0, 80],
                                  [35, 65, 75, 0]])
    with pytest.raises(AssertionError, match="can be worked out"):
        _assert_moves_are_safe(counts, protect(counts))
    _assert_moves_are_safe(counts, progression.protect_moves(counts, Rules()))
    with pytest.raises(ValueError, match="no move"):
        progression.protect_moves([[1, 0], [0, 0]], Rules())
    with pytest.raises(ValueError, match="square"):
        progression.protect_moves([[0, 1]], Rules())
