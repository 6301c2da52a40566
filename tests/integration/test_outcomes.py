"""Outcomes per partner with known referrals in the third quarter of 2026 (1 July to
30 September, Dutch days; summer time, so a Dutch day starts at 22:00 UTC the day before):
exact counts, the quarter's edge in Dutch time, the small-number rules of what is shown,
and the statement per partner as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.i18n import _
from app.models import Area
from app.services import outcomes
from app.services.errors import InvalidInput, NotFound
from app.services.legal import to_utc
from app.services.outcomes import OTHER_DOMAINS, Answers, Ended
from disclosure import Cell, Protected, Rules, Status, protect
from tests import factories
from tests.attacker import assert_nothing_can_be_worked_out, each_once

Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
TODAY = dt.date(2026, 12, 7)  # Q3 of 2026 is over, Q4 is not
IN_Q3 = to_utc(dt.datetime(2026, 8, 12, 14, 0))
SQUARE = {"type": "Polygon", "coordinates": [[[5.0, 50.0], [5.1, 50.0], [5.1, 50.1],
                                              [5.0, 50.0]]]}


def _outcomes(*pairs: tuple[str, int]) -> tuple[int, ...]:
    """Completed counts per outcome code, in the order of OUTCOMES."""
    given = dict(pairs)
    return tuple(given.get(code, 0) for code in ("geholpen", "doorverwezen", "niet_bereikt",
                                                 "afgezien"))


@pytest.fixture
def world(app):
    tenant = factories.tenant()
    for code, name in (("WK01", "Centrum"), ("WK02", "Noord")):
        db.session.add(Area(tenant_id=tenant.id, code=code, name=name, kind="wijk", year=2026,
                            geometry=SQUARE))
    world = {"tenant": tenant, "team": factories.team(tenant, name="Wijkteam Centrum"),
             "schuld": factories.partner(tenant, name="Schuldhulp", domain="schulden"),
             "welzijn": factories.partner(tenant, name="Welzijn", domain="welzijn")}
    db.session.commit()
    return world


def _request(world, *, wijk="WK01", feedback=None):
    fields = {"status": "closed", "closed_at": IN_Q3, "feedback": feedback,
              "feedback_at": IN_Q3 if feedback else None}
    return factories.support_request(world["team"], wijk_code=wijk, **fields)


def _ended(world, to="schuld", *, request=None, state="completed", outcome="geholpen",
           domain="schulden", wijk="WK01", ended=IN_Q3, feedback=None, reason=None):
    request = request or _request(world, wijk=wijk, feedback=feedback)
    return factories.referral(
        request, domain, world[to] if isinstance(to, str) else to, state=state,
        outcome=outcome if state == "completed" else None, state_reason=reason,
        sent_at=IN_Q3 - dt.timedelta(days=20), ended_at=ended)


def _partner(result, name):
    return next(found for found in result.partners if found.name == name)


def test_completed_returned_and_declined_referrals_and_answers_are_counted_per_partner(world):
    helped = _ended(world, feedback="ja")  # and below a second referral of the same request
    _ended(world, feedback="deels")
    _ended(world, outcome="niet_bereikt", wijk="WK02", feedback="nee")
    _ended(world, outcome="doorverwezen", wijk=None)
    _ended(world, request=helped.request, domain="wmo", outcome="afgezien")
    _ended(world, state="returned", wijk="WK02", reason="Past niet bij ons aanbod")
    _ended(world, state="declined", reason="Geen plek")
    _ended(world, state="declined", reason="  Geen   plek ")
    _ended(world, request=helped.request, to="welzijn", domain="welzijn")
    # Not counted: withdrawn, ended in another quarter, still running, to a team, elsewhere.
    _ended(world, state="withdrawn")
    _ended(world, ended=to_utc(dt.datetime(2026, 6, 30, 12, 0)), feedback="ja")
    factories.referral(_request(world), "schulden", world["schuld"], state="in_progress")
    _ended(world, to=factories.team(world["tenant"], name="Jeugdteam"), domain="jeugd")
    other = factories.tenant()
    factories.referral(factories.support_request(factories.team(other)), "schulden",
                       factories.partner(other, name="Elders"), state="completed",
                       outcome="geholpen", ended_at=IN_Q3)
    db.session.commit()

    result = outcomes.outcomes_by_partner(world["tenant"], *Q3)

    assert [found.name for found in result.partners] == ["Schuldhulp", "Welzijn"]
    assert [(wijk.code, wijk.name) for wijk in result.wijken] == [
        ("WK01", "Centrum"), ("WK02", "Noord"), (None, None)]
    schuld = _partner(result, "Schuldhulp")
    assert schuld.total == Ended(_outcomes(("geholpen", 2), ("doorverwezen", 1),
                                           ("niet_bereikt", 1), ("afgezien", 1)),
                                 returned=1, declined=2)
    assert schuld.total.completed == 5
    # Requests, not referrals: the request with two completed referrals answered once.
    assert schuld.answers == Answers(ja=1, deels=1, nee=1)
    assert schuld.answers.share_helped == pytest.approx(1 / 3)
    assert schuld.by_wijk == (
        Ended(_outcomes(("geholpen", 2), ("afgezien", 1)), declined=2),
        Ended(_outcomes(("niet_bereikt", 1)), returned=1),
        Ended(_outcomes(("doorverwezen", 1))))
    assert schuld.answers_by_wijk == (Answers(ja=1, deels=1), Answers(nee=1), Answers())
    assert schuld.domains == ("schulden", OTHER_DOMAINS)
    assert [row.outcomes for row in schuld.by_domain] == [
        _outcomes(("geholpen", 2), ("doorverwezen", 1), ("niet_bereikt", 1)),
        _outcomes(("afgezien", 1))]
    # A request helped by two partners counts for each.
    welzijn = _partner(result, "Welzijn")
    assert welzijn.total == Ended(_outcomes(("geholpen", 1)))
    assert welzijn.answers == Answers(ja=1)


def test_the_filters_keep_one_wijk_or_one_domain(world):
    _ended(world, feedback="ja")
    _ended(world, wijk="WK02", feedback="nee")
    _ended(world, domain="wmo", outcome="afgezien")
    db.session.commit()

    noord = _partner(outcomes.outcomes_by_partner(world["tenant"], *Q3, wijk_code="WK02"),
                     "Schuldhulp")
    assert noord.total == Ended(_outcomes(("geholpen", 1)))
    assert noord.answers == Answers(nee=1)
    wmo = outcomes.outcomes_by_partner(world["tenant"], *Q3, domain="wmo")
    assert [wijk.code for wijk in wmo.wijken] == ["WK01", "WK02", None]
    assert _partner(wmo, "Schuldhulp").total == Ended(_outcomes(("afgezien", 1)))
    assert _partner(wmo, "Schuldhulp").domains == ("wmo",)
    assert _partner(wmo, "Schuldhulp").answers == Answers()


def test_a_referral_belongs_to_the_dutch_day_it_ended_on(world):
    # 21:30 UTC on 30 September is 23:30 in the Netherlands (Q3); 23:30 UTC is 1 October.
    _ended(world, ended=dt.datetime(2026, 9, 30, 21, 30))
    _ended(world, ended=dt.datetime(2026, 9, 30, 23, 30), outcome="afgezien")
    # 22:30 UTC on 30 June is 1 July 00:30 in the Netherlands: in Q3.
    _ended(world, ended=dt.datetime(2026, 6, 30, 22, 30), outcome="niet_bereikt")
    db.session.commit()

    q3 = _partner(outcomes.outcomes_by_partner(world["tenant"], *Q3), "Schuldhulp")
    assert q3.total == Ended(_outcomes(("geholpen", 1), ("niet_bereikt", 1)))
    q4 = outcomes.outcomes_by_partner(world["tenant"], dt.date(2026, 10, 1),
                                      dt.date(2026, 12, 31))
    assert _partner(q4, "Schuldhulp").total == Ended(_outcomes(("afgezien", 1)))
    statement = outcomes.partner_statement(world["tenant"], world["schuld"], "2026-Q3",
                                           today=TODAY)
    assert (statement.first, statement.last) == Q3


def test_a_quarter_is_parsed_as_its_dutch_days_and_bad_ones_are_refused(app):
    assert outcomes.parse_quarter("2026-Q3", TODAY) == Q3
    assert outcomes.parse_quarter(" 2026-q1 ", TODAY) == (dt.date(2026, 1, 1),
                                                          dt.date(2026, 3, 31))
    assert outcomes.parse_quarter(None, TODAY) == Q3  # the last quarter that is over
    for bad in ("2026-Q5", "2026Q3", "Q3-2026", "2014-Q4", "2026-Q4", "2027-Q1"):
        with pytest.raises(InvalidInput) as refused:
            outcomes.parse_quarter(bad, TODAY)
        assert refused.value.field == "quarter"
        assert str(refused.value)


def test_another_municipalitys_partner_or_wijk_and_bad_periods_are_refused(world):
    other = factories.tenant()
    elders = factories.partner(other, name="Elders")
    db.session.add(Area(tenant_id=other.id, code="WK99", name="Elders", kind="wijk",
                        year=2026, geometry=SQUARE))
    db.session.commit()
    with pytest.raises(NotFound):
        outcomes.partner_statement(world["tenant"], elders, "2026-Q3", today=TODAY)
    with pytest.raises(NotFound):
        outcomes.partner_statement(world["tenant"], elders.id + 1000, "2026-Q3", today=TODAY)
    with pytest.raises(InvalidInput) as refused:
        outcomes.outcomes_by_partner(world["tenant"], *Q3, wijk_code="WK99")
    assert refused.value.field == "wijk"
    with pytest.raises(InvalidInput):
        outcomes.outcomes_by_partner(world["tenant"], *Q3, domain="sterrenkunde")
    with pytest.raises(InvalidInput):
        outcomes.outcomes_by_partner(world["tenant"], Q3[1], Q3[0])
    with pytest.raises(InvalidInput):
        outcomes.partner_statement(world["tenant"], world["schuld"], "2026-Q4", today=TODAY)


def test_small_counts_are_never_shown_and_shown_ones_are_rounded(world):
    for _number in range(23):
        _ended(world, feedback="ja")
    for _number in range(3):
        _ended(world, outcome="niet_bereikt", feedback="nee")
    _ended(world, wijk="WK02", outcome="afgezien", feedback="deels")
    db.session.commit()

    result = outcomes.outcomes_by_partner(world["tenant"], *Q3)
    exact = _partner(result, "Schuldhulp")
    shown = _partner(result.protected(), "Schuldhulp")
    assert exact.total.completed == 27
    centrum = shown.outcomes.cells[0]
    assert centrum[2].status is Status.SMALL and centrum[2].value is None  # 3
    assert shown.outcomes.cells[1][3].status is Status.SMALL  # Noord's one "afgezien"
    # Centrum's 23 "geholpen" would give away that the other wijken have none (the column's
    # total is shown, rounded), so it is hidden too; and so is the total beside the small
    # others of its row.
    assert centrum[0].status is Status.HIDDEN
    assert shown.outcomes.column_totals[0] == Cell(Status.SHOWN, 25)
    assert not shown.outcomes.total.shown
    # Nothing small is shown anywhere, and whatever is shown is a multiple of 5.
    for table in (shown.outcomes, shown.by_domain, shown.ended_otherwise, shown.answers):
        grid = [*table.cells, table.column_totals or ()]
        for row in grid:
            for cell in row:
                assert cell.value is None or cell.value % 5 == 0
    for exact_row, shown_row in zip(exact.by_wijk, shown.outcomes.cells, strict=True):
        for count, cell in zip(exact_row.outcomes, shown_row, strict=True):
            assert count >= 10 or not cell.shown
    # The totals the two tables share are shown in both or in neither.
    assert [cell.status for cell in shown.outcomes.column_totals] == [
        cell.status for cell in shown.by_domain.column_totals]
    # 23 "ja" of 27 answers, each published rounded (25 of 25): the share of Centrum is small
    # (fewer than 10 answers in Noord), the partner's from the rounded counts.
    assert shown.share_helped[1].status is Status.SMALL
    assert exact.answers == Answers(ja=23, deels=1, nee=3)
    assert not shown.share_helped[-1].shown or shown.share_helped[-1].value == round(
        100 * shown.answers.column_totals[0].value / shown.answers.total.value)


def test_a_stricter_municipality_suppresses_more(world):
    world["tenant"].small_numbers = {"min_count": 30, "rounding": 5}
    for _number in range(23):
        _ended(world)
    db.session.commit()
    shown = _partner(outcomes.outcomes_by_partner(world["tenant"], *Q3).protected(),
                     "Schuldhulp")
    assert shown.outcomes.cells[0][0].status is Status.SMALL
    assert shown.outcomes.total.status is Status.SMALL


def _rows(statement, section):
    return [(row.item, row.category, row.cell) for row in statement.rows
            if row.section == section]


def test_the_statement_counts_per_domain_outcome_and_reason_protected(world):
    for _number in range(12):
        _ended(world, feedback="ja")
    for spaces in ("Geen plek", " Geen  plek", "Geen plek "):
        for _number in range(4):
            _ended(world, state="declined", reason=spaces)
    _ended(world, state="declined", reason="Buiten ons werkgebied")
    _ended(world, state="declined", reason="Wachtlijst", wijk="WK02")
    _ended(world, state="declined", reason="Wachtlijst", wijk=None)
    _ended(world, state="returned", reason="=HYPERLINK(\"http://x.example\")")
    _ended(world, state="returned", reason=None)
    _ended(world, state="declined", ended=to_utc(dt.datetime(2026, 10, 2, 9, 0)),
           reason="Later")
    db.session.commit()

    statement = outcomes.partner_statement(world["tenant"], world["schuld"].id, "2026-Q3",
                                           today=TODAY)
    assert statement.partner_name == "Schuldhulp"
    assert statement.quarter == "2026-Q3"
    assert "Schuldhulp" in statement.title and "2026-Q3" in statement.title
    declined = _rows(statement, "declined")
    # One reason, its white space evened out: 12, shown as 10; the others are small (two of
    # them, so neither can be worked out from the total).
    assert [(item, cell.status, cell.value) for item, _category, cell in declined] == [
        ("Geen plek", Status.SHOWN, 10), ("Wachtlijst", Status.SMALL, None),
        ("Buiten ons werkgebied", Status.SMALL, None)]
    returned = _rows(statement, "returned")
    assert sorted(item for item, _category, _cell in returned) == sorted(
        ["=HYPERLINK(\"http://x.example\")", _("No reason given")])
    assert all(cell.status is Status.SMALL for _item, _category, cell in returned)
    completed = {(item, category): cell for item, category, cell in
                 _rows(statement, "completed")}
    assert len(completed) == 2 * 5 + 4  # two domain rows of 4 outcomes and a total, totals
    completed_totals = [completed[(_("Total"), category)] for category in
                        [row[1] for row in _rows(statement, "completed")][:4]]
    totals = [row.cell for row in statement.totals]
    assert [row.section for row in statement.totals] == ["total"] * 3
    # The 12 completed were all helped, in one wijk: beside the zeros of the other outcomes
    # and wijken (fewer than 10 is 0 too) their total is hidden, in the totals as in the
    # table, and so are the 12 answers "ja" and with them the share helped. The 15 declined
    # are shown (their wijken's 13, 1 and 1 are protected by other cells: hiding a total
    # that the reasons share would hide it there too); the 2 returned are small.
    assert totals[0] == completed_totals[0] == Cell(Status.HIDDEN, None)
    assert totals[1].status is Status.SMALL
    assert totals[2] == Cell(Status.SHOWN, 15)
    assert all(cell.status is Status.SMALL for cell in completed_totals[1:])
    share = _rows(statement, "share_helped")[0][2]
    assert share.status is Status.HIDDEN
    # Every count shown is rounded to 5, nothing under 10 is shown.
    assert all(row.cell.value % 5 == 0 for row in (*statement.rows, *statement.totals)
               if row.cell.shown)


def test_the_statement_downloads_as_dutch_excel_csv_with_formulas_neutralised(world):
    _ended(world, state="returned", reason="=HYPERLINK(\"http://x.example\";\"klik\")")
    _ended(world, state="declined", reason="Geen plek; wachtlijst")
    db.session.commit()
    statement = outcomes.partner_statement(world["tenant"], world["schuld"], "2026-Q3",
                                           today=TODAY)

    text = "".join(outcomes.statement_csv(statement))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows[0]) == 4
    assert rows[1][0] == statement.title
    assert [_("Partner organisation"), "Schuldhulp", "", ""] in rows
    assert any(row[1:4] == ["2026-Q3", "2026-07-01", "2026-09-30"] for row in rows)
    reasons = [row[1] for row in rows]
    assert "'=HYPERLINK(\"http://x.example\";\"klik\")" in reasons
    assert "Geen plek; wachtlijst" in reasons  # the separator quoted, not splitting the cell
    # Small counts as words, never as their number.
    counts = [row[3] for row in rows[6:]]
    assert _("fewer than %(number)s", number=10) in counts
    assert "1" not in counts and "0" not in counts
    assert "\r\n" in text


def test_a_partner_with_nothing_is_small_everywhere_as_the_library_would_say(world):
    zeros = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert outcomes._protect(zeros, Rules()) == protect(zeros, Rules())
    result = outcomes.outcomes_by_partner(world["tenant"], *Q3)
    shown = result.protected(world["welzijn"].id)
    assert [found.name for found in shown.partners] == ["Welzijn"]
    assert shown.partners[0].outcomes.total == Cell(Status.SMALL, None)
    assert shown.partners[0].share_helped[-1] == Cell(Status.SMALL, None)


# --- The table per wijk and the reasons, read side by side -----------------------------------

_count = st.one_of(st.integers(0, 12), st.integers(0, 60))


@st.composite
def _ended_with_reasons(draw):
    """Returned and declined referrals per wijk, and per state the reasons they were given
    for (each at least once; together the state's total)."""
    by_wijk = draw(st.lists(st.tuples(_count, _count), min_size=1, max_size=4))
    reasons = []
    for column in range(2):
        left, named = sum(row[column] for row in by_wijk), []
        while left:
            part = draw(st.integers(1, left))
            named.append((f"reden {len(named)}", part))
            left -= part
        reasons.append(tuple(sorted(named, key=lambda item: (-item[1], item[0]))))
    return by_wijk, tuple(reasons)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ended_with_reasons())
def test_no_returned_or_declined_count_can_be_worked_out_from_the_table_and_the_reasons(case):
    by_wijk, reasons = case
    found = outcomes.PartnerOutcomes(
        partner_id=1, name="Schuldhulp", total=Ended(), answers=Answers(),
        by_wijk=tuple(Ended(returned=returned, declined=declined)
                      for returned, declined in by_wijk),
        answers_by_wijk=(Answers(),) * len(by_wijk), domains=(OTHER_DOMAINS,),
        by_domain=(Ended(),), reasons=reasons)
    shown = outcomes._protect_partner(found, Rules())
    R = len(by_wijk)
    tables, relations = [([list(row) for row in by_wijk], shown.ended_otherwise)], []
    known = set()  # no reasons: the state's total is 0, and its every wijk, for all to see
    for column, (exact, listed) in enumerate(zip(reasons, shown.reasons, strict=True)):
        if not exact:
            assert listed == ()
            known |= {(r, column) for r in range(R + 1)}
        elif listed is not None:  # None: left out, the statement says so
            assert [reason for reason, _cell in listed] == [reason for reason, _n in exact]
            tables.append(([[count] for _reason, count in exact],
                           Protected(tuple((cell,) for _reason, cell in listed), None, None,
                                     None, Rules())))
            relations.append([(1, 0, (R, column)), (-1, len(tables) - 1, (len(exact), 0))])
    if not any(reasons):  # nothing at all: the row totals are 0 too
        known |= {(r, 2) for r in range(R + 1)}
    assert_nothing_can_be_worked_out(tables, relations, known={0: known}, at_least={
        t: each_once(len(counts)) for t, (counts, _table) in enumerate(tables) if t})
