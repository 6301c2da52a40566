"""Small numbers: rounding, primary and secondary suppression, and an attacker who tries to
work the suppressed cells out again with linear programming."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from disclosure import Rules, Status, protect, round_to


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
    rules = table.rules
    R, C = len(counts), len(counts[0])
    x = [[*row, sum(row)] for row in counts]
    x.append([sum(row[c] for row in x) for c in range(C + 1)])
    grid = [[*row, None] for row in table.cells] + [[None] * (C + 1)]
    for r in range(R):
        grid[r][C] = table.row_totals[r] if table.row_totals else None
    for c in range(C):
        grid[R][c] = table.column_totals[c] if table.column_totals else None
    grid[R][C] = table.total
    unknown = [(r, c) for r in range(R + 1) for c in range(C + 1)
               if grid[r][c] is None or not grid[r][c].shown]
    if not unknown:
        return
    index = {rc: i for i, rc in enumerate(unknown)}
    bounds = []
    for r, c in unknown:
        cell = grid[r][c]
        if cell is None:
            bounds.append((0, None))
        elif cell.status is Status.SMALL:
            bounds.append((0, rules.min_count - 1))
        else:
            bounds.append((rules.min_count, None))
    equations, constants = [], []
    lines = [[(r, c) for c in range(C + 1)] for r in range(R + 1)]
    lines += [[(r, c) for r in range(R + 1)] for c in range(C + 1)]
    for line in lines:
        *parts, total = line
        row = np.zeros(len(unknown))
        constant = 0.0
        for sign, rc in [(1, p) for p in parts] + [(-1, total)]:
            if rc in index:
                row[index[rc]] += sign
            else:
                constant -= sign * x[rc[0]][rc[1]]
        if row.any():
            equations.append(row)
            constants.append(constant)
    for (r, c), i in index.items():
        if grid[r][c] is None:
            continue  # not published: nothing to protect
        objective = np.zeros(len(unknown))
        objective[i] = 1
        low = linprog(objective, A_eq=equations, b_eq=constants, bounds=bounds)
        high = linprog(-objective, A_eq=equations, b_eq=constants, bounds=bounds)
        assert low.status == 0, low.message  # the true table is a solution
        spread = (-high.fun if high.status == 0 else float("inf")) - low.fun
        assert spread >= 1 - 1e-7, (
            f"cell {(r, c)} = {x[r][c]} can be worked out: {low.fun}..{-high.fun}\n"
            f"{counts}\n{table.suppressed()}")


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
