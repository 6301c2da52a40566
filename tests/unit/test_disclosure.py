"""Small numbers: rounding, primary and secondary suppression, cells the reader knows, tables
read side by side, and an attacker who tries to work the suppressed cells out again with
linear programming (tests/attacker.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosure import Cell, Rules, Status, Table, protect, protect_linked, round_to
from tests.attacker import assert_nothing_can_be_worked_out, each_once, worked_out


def _statuses(table):
    return [[cell.status for cell in row] for row in table.cells]


def test_counts_are_rounded_to_five_and_nothing_is_hidden_without_a_small_cell():
    table = protect([[12, 40], [23, 17]])
    assert [[cell.value for cell in row] for row in table.cells] == [[10, 40], [25, 15]]
    assert [cell.value for cell in table.row_totals] == [50, 40]
    assert [cell.value for cell in table.column_totals] == [35, 55]
    assert table.total.value == 90
    assert table.suppressed() == []


def test_rounding_goes_to_the_nearest_multiple_halves_up():
    assert [round_to(v, 5) for v in (10, 12, 13, 15, 17, 18)] == [10, 10, 15, 15, 15, 20]


def test_a_small_cell_in_a_list_with_its_total_takes_the_smallest_other_cell_with_it():
    table = protect([[3], [50], [40], [60]], row_totals=False)
    assert [row[0].status for row in table.cells] == [
        Status.SMALL, Status.SHOWN, Status.HIDDEN, Status.SHOWN]
    assert table.row_totals is None and table.total is None
    assert table.column_totals[0].value == 155  # the total stays; 3 + 40 cannot be split


def test_a_small_cell_in_a_table_hides_a_rectangle_of_the_cheapest_cells():
    counts = [[4, 30, 50],
              [20, 25, 60],
              [90, 80, 70]]
    table = protect(counts)
    assert _statuses(table) == [
        [Status.SMALL, Status.HIDDEN, Status.SHOWN],
        [Status.HIDDEN, Status.HIDDEN, Status.SHOWN],
        [Status.SHOWN, Status.SHOWN, Status.SHOWN]]
    assert all(cell.shown for cell in table.row_totals + table.column_totals)


def test_a_small_total_is_suppressed_like_any_other_cell():
    table = protect([[2, 3], [40, 50]])
    assert table.row_totals[0].status is Status.SMALL
    assert [cell.status for cell in table.cells[0]] == [Status.SMALL, Status.SMALL]
    _assert_nothing_can_be_worked_out([[2, 3], [40, 50]], table)


def test_zero_counts_as_small():
    table = protect([[0, 30], [30, 30]])
    assert table.cells[0][0].status is Status.SMALL


def test_the_thresholds_are_settings():
    assert protect([[12, 40], [23, 17]], Rules(min_count=15)).cells[0][0].status is Status.SMALL
    assert protect([[12]], Rules(rounding=10)).cells[0][0].value == 10
    with pytest.raises(ValueError, match="at least 1"):
        Rules(min_count=0)


@pytest.mark.parametrize(("bad", "says"), [
    ([], "at least one row"), ([[]], "at least one row"), ([[1, 2], [3]], "same number"),
    ([[-1]], "negative")])
def test_a_table_that_is_not_a_table_is_refused(bad, says):
    with pytest.raises(ValueError, match=says):
        protect(bad)


# --- The attacker ---------------------------------------------------------------------------


def _assert_nothing_can_be_worked_out(counts, table):
    """An attacker who knows every shown count exactly (not rounded: stronger than a real
    reader), that a small cell is 0..min_count-1 and a hidden one at least min_count, solves
    for the lowest and the highest value of each suppressed cell: they must differ."""
    assert_nothing_can_be_worked_out([(counts, table)])


_count = st.one_of(st.integers(0, 12), st.integers(0, 300))


@st.composite
def _tables(draw):
    rows = draw(st.integers(1, 5))
    columns = draw(st.integers(1, 5))
    counts = draw(st.lists(st.lists(_count, min_size=columns, max_size=columns),
                           min_size=rows, max_size=rows))
    return counts, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_no_suppressed_cell_can_be_worked_out_from_the_rest_of_the_table(case):
    counts, row_totals, column_totals = case
    table = protect(counts, row_totals=row_totals, column_totals=column_totals)
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            assert (table.cells[r][c].status is Status.SMALL) == (value < 10)
            if table.cells[r][c].shown:
                assert table.cells[r][c].value == round_to(value, 5)
    _assert_nothing_can_be_worked_out(counts, table)


@settings(max_examples=50, deadline=None)
@given(_tables())
def test_the_attacker_would_find_a_small_cell_left_alone(case):
    # The attack is real: a table whose small cell is the only one suppressed in its row
    # gives it away.
    counts, _, _ = case
    counts = [[*row, 50] for row in counts]
    counts[0][0] = 3
    for r, row in enumerate(counts):
        for c in range(len(row)):
            if (r, c) != (0, 0) and row[c] < 10:
                row[c] = 10
    table = protect(counts)
    leaky = table.__class__(
        cells=tuple(tuple(cell if (r, c) == (0, 0) else type(cell)(Status.SHOWN, counts[r][c])
                          for c, cell in enumerate(row)) for r, row in enumerate(table.cells)),
        row_totals=tuple(type(cell)(Status.SHOWN, 0) for cell in table.row_totals),
        column_totals=table.column_totals, total=table.total, rules=table.rules)
    with pytest.raises(AssertionError, match="can be worked out"):
        _assert_nothing_can_be_worked_out(counts, leaky)


# --- What the reader knows ------------------------------------------------------------------

_MOVES = [[0, 3, 40, 60], [30, 0, 50, 70], [45, 55, 0, 80], [35, 65, 75, 0]]
_DIAGONAL = {(i, i) for i in range(4)}


def test_a_known_cell_is_shown_and_nothing_leans_on_it():
    # A table of moves from step to step: a move to the same step is 0, and the reader
    # knows it. Told nothing, the library counts those zeros as small cells and leans on
    # them to protect the 3, which a reader who knows them undoes.
    alone = protect(_MOVES)
    assert all(alone.cells[i][i].status is Status.SMALL for i in range(4))
    assert worked_out([(_MOVES, alone)], known={0: _DIAGONAL})
    told = protect(_MOVES, known=_DIAGONAL)
    assert all(told.cells[i][i].shown and told.cells[i][i].value == 0 for i in range(4))
    assert told.cells[0][1].status is Status.SMALL
    assert all(told.cells[r][c].status is not Status.SMALL
               for r in range(4) for c in range(4) if (r, c) != (0, 1))
    assert_nothing_can_be_worked_out([(_MOVES, told)], known={0: _DIAGONAL})


def test_known_zeros_alone_hide_nothing():
    counts = [[0 if r == c else 50 for c in range(4)] for r in range(4)]
    assert protect(counts, known=_DIAGONAL).suppressed() == []
    assert protect(counts).suppressed() != []  # the zeros, and real counts to protect them


def test_a_known_position_outside_the_table_is_refused():
    with pytest.raises(ValueError, match="not in the table"):
        protect([[1, 2]], known={(2, 0)})
    with pytest.raises(ValueError, match="not in the table"):
        protect([[1, 2]], known={(0, -1)})


@st.composite
def _tables_with_known(draw):
    counts, row_totals, column_totals = draw(_tables())
    cells = st.tuples(st.integers(0, len(counts) - 1), st.integers(0, len(counts[0]) - 1))
    known = draw(st.sets(cells, max_size=len(counts) * len(counts[0]) // 2))
    for r, c in known:  # structural zeros, as a table of moves has them
        counts[r][c] = 0
    return counts, row_totals, column_totals, known


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables_with_known())
def test_no_suppressed_cell_can_be_worked_out_by_a_reader_who_knows_some_cells(case):
    counts, row_totals, column_totals, known = case
    table = protect(counts, row_totals=row_totals, column_totals=column_totals, known=known)
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            cell = table.cells[r][c]
            if (r, c) in known:
                assert cell.shown and cell.value == 0
            else:
                assert (cell.status is Status.SMALL) == (value < 10)
            if cell.shown:
                assert cell.value == round_to(value, 5)
    assert_nothing_can_be_worked_out([(counts, table)], known={0: known})


def test_a_list_of_what_occurred_is_protected_from_a_reader_who_knows_each_is_at_least_one():
    # Reasons for declining: one given once, one ten times, and the total (11) shown. The
    # reader knows the one is not 0 (else it would not be listed): the 10 cannot be less
    # than 10, so the one is 1, unless the library knows what the reader knows.
    counts = [[1], [10]]
    plain = protect(counts, row_totals=False)
    assert worked_out([(counts, plain)], at_least={0: each_once(2)})
    listed = protect(counts, row_totals=False, at_least=each_once(2))
    assert_nothing_can_be_worked_out([(counts, listed)], at_least={0: each_once(2)})
    with pytest.raises(ValueError, match="more than it is"):
        protect([[0], [3]], at_least=each_once(2))
    with pytest.raises(ValueError, match="not in the table"):
        protect([[1], [3]], at_least={(0, 2): 1})


# --- Tables read side by side ---------------------------------------------------------------

def test_a_total_one_table_hides_is_hidden_and_protected_in_the_table_that_shares_it():
    # Referrals per wijk (returned, declined) and the declined ones per reason: the same
    # declined referrals, so the same total, 42, which the table per wijk hides.
    per_wijk = [[1, 12], [1, 30]]
    per_reason = [[42]]
    links = [[(0, (2, 1)), (1, (1, 0))]]
    relations = [[(1, 0, (2, 1)), (-1, 1, (1, 0))]]
    alone = [protect(per_wijk), protect(per_reason, row_totals=False)]
    assert alone[0].column_totals[1].status is Status.HIDDEN
    assert alone[1].cells[0][0].shown  # 42, rounded to 40: the hidden total
    # Hidden afterwards, the total is still the one reason's count.
    afterwards = [alone[0], type(alone[1])(alone[1].cells, None, (Cell(Status.HIDDEN, None),),
                                           None, alone[1].rules)]
    assert worked_out(list(zip((per_wijk, per_reason), afterwards, strict=True)), relations)
    together = protect_linked([Table(per_wijk), Table(per_reason, row_totals=False)], links)
    assert together[1].column_totals[0].status is Status.HIDDEN
    assert together[1].cells[0][0].status is Status.HIDDEN
    assert_nothing_can_be_worked_out(
        list(zip((per_wijk, per_reason), together, strict=True)), relations)


def test_a_link_to_a_cell_that_is_not_published_or_not_there_is_refused():
    with pytest.raises(ValueError, match="published"):
        protect_linked([Table([[1]], row_totals=False), Table([[1]])],
                       [[(0, (0, 1)), (1, (0, 1))]])
    with pytest.raises(ValueError, match="not in the table"):
        protect_linked([Table([[1]]), Table([[1]])], [[(0, (3, 1)), (1, (0, 1))]])
    with pytest.raises(ValueError, match="no table"):
        protect_linked([Table([[1]])], [[(0, (1, 0)), (1, (1, 0))]])


@st.composite
def _lists_of_reasons(draw):
    """A table per wijk of returned and declined referrals, with per column the reasons
    they were given for (each at least once; together the column's total)."""
    rows = draw(st.integers(1, 4))
    per_wijk = draw(st.lists(st.lists(_count, min_size=2, max_size=2), min_size=rows,
                             max_size=rows))
    lists = []
    for c in range(2):
        left, reasons = sum(row[c] for row in per_wijk), []
        while left:
            part = draw(st.integers(1, left))
            reasons.append(part)
            left -= part
        lists.append(sorted(reasons, reverse=True))
    return per_wijk, lists


def _with_lists(per_wijk, lists, columns):
    """The table per wijk and the lists of ``columns`` linked to its column totals, as the
    statement of a partner has them: an empty list says its column is 0."""
    empty = {c for c, reasons in enumerate(lists) if not reasons}
    known = frozenset((r, c) for c in empty for r in range(len(per_wijk) + 1))
    # A reason listed was given at least once: the total is at least the list's length.
    floors = {(len(per_wijk), c): len(lists[c]) for c in columns}
    tables = [Table(per_wijk, known=known, at_least=floors)]
    counts, links, relations = [per_wijk], [], []
    for c in columns:
        reasons = [[count] for count in lists[c]]
        tables.append(Table(reasons, row_totals=False, at_least=each_once(len(reasons))))
        counts.append(reasons)
        at = (len(tables) - 1, (len(reasons), 0))
        links.append([(0, (len(per_wijk), c)), at])
        relations.append([(1, 0, (len(per_wijk), c)), (-1, *at)])
    return tables, counts, links, relations, known


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lists_of_reasons())
def test_no_cell_of_a_table_and_the_lists_that_share_its_totals_can_be_worked_out(case):
    per_wijk, lists = case
    columns = [c for c, reasons in enumerate(lists) if reasons]
    while True:
        tables, counts, links, relations, known = _with_lists(per_wijk, lists, columns)
        protected = protect_linked(tables, links)
        # A list the library cannot protect (nine reasons under a total under ten: each
        # was given once) is left out, and the table protected without it; so are all
        # when what they say pins the table down (8 reasons for declining and 1 for
        # returning under a total under 10: 8 and 1).
        left_out = [c for c, table in zip(columns, protected[1:], strict=True)
                    if table.all_hidden or protected[0].all_hidden]
        if not left_out:
            break
        columns = [c for c in columns if c not in left_out]
    for link in links:  # a shared total: suppressed in both or in neither
        assert len({protected[t].suppressed().count(position) for t, position in link}) == 1
    assert_nothing_can_be_worked_out(
        list(zip(counts, protected, strict=True)), relations, known={0: known},
        at_least={t: each_once(len(table.counts)) for t, table in enumerate(tables) if t})


def test_a_list_whose_length_gives_its_counts_away_is_all_hidden():
    # Nine reasons, each given at least once, under a total of fewer than ten: each was
    # given once, whatever is hidden.
    listed = protect([[1]] * 9, row_totals=False, at_least=each_once(9))
    assert listed.all_hidden
    assert not protect([[1]] * 8 + [[2]], row_totals=False, at_least=each_once(9)).all_hidden


@st.composite
def _tables_that_add_up(draw):
    """Responses per team, per partner and per domain (on time, late): every referral goes
    to a team or a partner, so per column the teams' and the partners' totals make the
    domains'. The row totals are not published."""
    def split(total):
        parts, left = [], total
        while left:
            part = draw(st.integers(0, left)) if draw(st.booleans()) else left
            parts.append(part)
            left -= part
        rows = draw(st.integers(max(1, len(parts)), max(1, len(parts)) + 2))
        return (parts + [0] * rows)[:rows]

    teams = draw(st.lists(st.lists(_count, min_size=2, max_size=2), min_size=1, max_size=4))
    partners = draw(st.lists(st.lists(_count, min_size=2, max_size=2), min_size=1,
                             max_size=4))
    columns = [split(sum(row[c] for row in teams) + sum(row[c] for row in partners))
               for c in range(2)]
    height = max(len(column) for column in columns)
    domains = [[(column + [0] * height)[r] for column in columns] for r in range(height)]
    return teams, partners, domains


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables_that_add_up())
def test_no_cell_of_tables_whose_totals_add_up_can_be_worked_out(case):
    teams, partners, domains = case
    counts = [teams, partners, domains]
    links = [[(t, (len(table), c)) for t, table in enumerate(counts)] for c in range(2)]
    relations = [[(1, 0, (len(teams), c)), (1, 1, (len(partners), c)),
                  (-1, 2, (len(domains), c))] for c in range(2)]
    protected = protect_linked([Table(table, row_totals=False) for table in counts], links)
    for link in links:
        assert len({protected[t].suppressed().count(position) for t, position in link}) == 1
    assert_nothing_can_be_worked_out(list(zip(counts, protected, strict=True)), relations)


@st.composite
def _tables_with_the_same_column_totals(draw):
    """Completed referrals per wijk and per domain, by outcome: the same referrals, so the
    same column totals and total."""
    per_wijk = draw(st.lists(st.lists(_count, min_size=3, max_size=3), min_size=1,
                             max_size=4))
    height = draw(st.integers(1, 3))
    per_domain = [[0] * 3 for _ in range(height)]
    for c in range(3):
        left = sum(row[c] for row in per_wijk)
        for r in range(height - 1):
            part = draw(st.integers(0, left))
            per_domain[r][c] = part
            left -= part
        per_domain[-1][c] = left
    return per_wijk, per_domain


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables_with_the_same_column_totals())
def test_no_cell_of_two_tables_with_the_same_column_totals_can_be_worked_out(case):
    per_wijk, per_domain = case
    R, S = len(per_wijk), len(per_domain)
    links = [[(0, (R, c)), (1, (S, c))] for c in range(4)]
    relations = [[(1, 0, (R, c)), (-1, 1, (S, c))] for c in range(4)]
    protected = protect_linked([Table(per_wijk), Table(per_domain)], links)
    for link in links:
        assert len({protected[t].suppressed().count(position) for t, position in link}) == 1
    assert_nothing_can_be_worked_out(list(zip((per_wijk, per_domain), protected, strict=True)),
                                     relations)
