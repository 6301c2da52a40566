"""The attacker of published tables the small-number tests share: someone who knows every
shown count exactly (not rounded: stronger than a real reader), that a "fewer than 10" cell is
0 to 9 and a hidden one at least 10, that every row and column of a table adds up to its
total (published or not), and how the tables hang together (a total shown in two tables, two
tables' totals that make a third's). With linear programming they look for the lowest and
the highest value of every suppressed cell: when the two are less than one apart, the cell
is worked out.

A table is given as its exact counts with what :func:`disclosure.protect` (or
:func:`disclosure.protect_linked`) made of it; a position is ``(row, column)`` in the grid
with its totals (the column totals in row ``len(counts)``, the row totals in column
``len(counts[0])``), as :meth:`disclosure.Protected.suppressed` gives them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from disclosure import Cell, Protected, Status

Position = tuple[int, int]
#: A relation between tables: ``(coefficient, table, position)`` terms that add up to zero.
Relation = Sequence[tuple[int, int, Position]]


@dataclass(frozen=True)
class Found:
    """A suppressed cell of table ``table`` at ``position``, ``value`` in truth, which the
    attacker narrows to ``low``–``high``."""

    table: int
    position: Position
    value: int
    low: float
    high: float


def _grid(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in counts]
    return [*rows, [sum(row[c] for row in rows) for c in range(len(rows[0]))]]


def _published(table: Protected) -> list[list[Cell | None]]:
    R, C = len(table.cells), len(table.cells[0])
    grid: list[list[Cell | None]] = [[*row, None] for row in table.cells]
    grid.append([None] * (C + 1))
    for r in range(R):
        grid[r][C] = table.row_totals[r] if table.row_totals is not None else None
    for c in range(C):
        grid[R][c] = table.column_totals[c] if table.column_totals is not None else None
    grid[R][C] = table.total
    return grid


def worked_out(tables: Sequence[tuple[Sequence[Sequence[int]], Protected]],
               relations: Sequence[Relation] = (), *,
               at_least: Mapping[int, Mapping[Position, int]] | None = None,
               known: Mapping[int, Collection[Position]] | None = None) -> list[Found]:
    """Every published, suppressed cell of ``tables`` (exact counts, protected) that the
    attacker works out from all of them together and ``relations``. Per table (by its
    number), the attacker also knows what ``at_least`` says a cell is at least (a reason
    listed was given at least once) and the exact count of the cells ``known`` names (a move
    from a step to the same step is 0), whatever the tables show of them."""
    known = known or {}
    at_least = at_least or {}
    exact = [_grid(counts) for counts, _table in tables]
    shown = [_published(table) for _counts, table in tables]
    unknown: list[tuple[int, int, int]] = [
        (t, r, c) for t, grid in enumerate(shown) for r, row in enumerate(grid)
        for c, cell in enumerate(row) if cell is None or not cell.shown]
    if not unknown:
        return []
    index = {key: i for i, key in enumerate(unknown)}
    bounds: list[tuple[float, float | None]] = []
    for t, r, c in unknown:
        cell = shown[t][r][c]
        rules = tables[t][1].rules
        floor = at_least.get(t, {}).get((r, c), 0)
        if (r, c) in known.get(t, ()):
            bounds.append((exact[t][r][c], exact[t][r][c]))
        elif cell is None:
            bounds.append((floor, None))
        elif cell.status is Status.SMALL:
            bounds.append((floor, rules.min_count - 1))
        else:
            bounds.append((max(floor, rules.min_count), None))

    equations: list[np.ndarray] = []
    constants: list[float] = []

    def equation(terms: Sequence[tuple[int, int, int, int]]) -> None:
        row = np.zeros(len(unknown))
        constant = 0.0
        for sign, t, r, c in terms:
            if (t, r, c) in index:
                row[index[(t, r, c)]] += sign
            else:
                constant -= sign * exact[t][r][c]
        if row.any():
            equations.append(row)
            constants.append(constant)

    for t, grid in enumerate(exact):
        R, C = len(grid) - 1, len(grid[0]) - 1
        for r in range(R + 1):
            equation([*((1, t, r, c) for c in range(C)), (-1, t, r, C)])
        for c in range(C + 1):
            equation([*((1, t, r, c) for r in range(R)), (-1, t, R, c)])
    for relation in relations:
        equation([(coefficient, t, *position) for coefficient, t, position in relation])

    found = []
    for (t, r, c), i in index.items():
        if shown[t][r][c] is None or (r, c) in known.get(t, ()):
            continue  # not published, or known anyway: nothing to protect
        objective = np.zeros(len(unknown))
        objective[i] = 1
        low = linprog(objective, A_eq=equations, b_eq=constants, bounds=bounds)
        high = linprog(-objective, A_eq=equations, b_eq=constants, bounds=bounds)
        assert low.status == 0, low.message  # the true tables are a solution
        top = -high.fun if high.status == 0 else float("inf")
        if top - low.fun < 1 - 1e-7:
            found.append(Found(t, (r, c), exact[t][r][c], low.fun, top))
    return found


def assert_nothing_can_be_worked_out(
        tables: Sequence[tuple[Sequence[Sequence[int]], Protected]],
        relations: Sequence[Relation] = (), *,
        at_least: Mapping[int, Mapping[Position, int]] | None = None,
        known: Mapping[int, Collection[Position]] | None = None) -> None:
    found = worked_out(tables, relations, at_least=at_least, known=known)
    assert not found, "can be worked out: " + "; ".join(
        f"table {cell.table} cell {cell.position} = {cell.value} ({cell.low}..{cell.high})"
        for cell in found)


def each_once(rows: int) -> dict[Position, int]:
    """What a reader knows of a list of ``rows`` things that occurred: each at least once."""
    return {(r, 0): 1 for r in range(rows)}


__all__ = ["Found", "Relation", "assert_nothing_can_be_worked_out", "each_once", "worked_out"]
