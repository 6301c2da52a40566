"""Small numbers never identify anyone: rounding and cell suppression for published tables.

A pure library (no Flask, no database), like ``geo`` and ``referral_rules``: plain counts in,
a protected table out. The public statistics and the municipality's figures both publish
through it.

The rules, with the defaults a tenant may tighten:

- every count is rounded to a multiple of ``rounding`` (5);
- every cell under ``min_count`` (10), totals included, is *suppressed* and shown as "fewer
  than 10" (primary suppression);
- no suppressed cell can be worked out from the totals and the other cells of the same table
  (secondary suppression): every suppressed cell lies on a rectangle of suppressed cells
  along which the table can change while every row and column still adds up, so someone who
  knows every published count exactly, that a "fewer than 10" cell is 0 to 9 and that a
  hidden cell is 10 or more, still finds at least two possible values. The hidden cells are
  chosen to hide as little as possible (the fewest and smallest counts).

A table here is a grid of counts with, optionally, the row totals and the column totals
published beside it. A list (one count per wijk, say) is a table of one column whose row
totals are not published.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

__all__ = ["Cell", "Protected", "Rules", "Status", "protect"]

#: No upper bound for a hidden cell: the reader only knows it is at least ``min_count``.
_UNBOUNDED: Final = float("inf")


@dataclass(frozen=True)
class Rules:
    """How small a count may be shown, and to what it is rounded."""

    min_count: int = 10
    rounding: int = 5

    def __post_init__(self) -> None:
        if self.min_count < 1 or self.rounding < 1:
            raise ValueError("min_count and rounding must be at least 1")


class Status(Enum):
    SHOWN = "shown"
    SMALL = "small"  # primary: under min_count, shown as "fewer than <min_count>"
    HIDDEN = "hidden"  # secondary: hidden so that a small cell cannot be worked out


@dataclass(frozen=True)
class Cell:
    status: Status
    value: int | None  # the rounded count when shown, else None

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN


@dataclass(frozen=True)
class Protected:
    """A protected table: ``cells[r][c]``, ``row_totals[r]``, ``column_totals[c]`` and
    ``total``; the totals are None where they are not published."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None
    column_totals: tuple[Cell, ...] | None
    total: Cell | None
    rules: Rules

    def suppressed(self) -> list[tuple[int, int]]:
        """Every suppressed position in the full grid, totals at index ``len`` (for tests)."""
        grid = _grid_of(self)
        return [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
                if cell is not None and not cell.shown]


def round_to(value: int, base: int) -> int:
    """``value`` to the nearest multiple of ``base``, halves up (7 → 5, 8 → 10)."""
    return ((value + base // 2) // base) * base


def protect(counts: Sequence[Sequence[int]], rules: Rules = Rules(), *,
            row_totals: bool = True, column_totals: bool = True) -> Protected:
    """Round and suppress ``counts`` (rows of non-negative counts, all the same length).

    ``row_totals``/``column_totals``: whether each row's/column's sum is published too (the
    grand total is published when both are). Totals that are not published still bind the
    table for a reader who can add up, so they are protected as if they were.
    """
    rows = [list(row) for row in counts]
    if not rows or not rows[0]:
        raise ValueError("a table needs at least one row and one column")
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every row needs the same number of cells")
    if any(value < 0 for row in rows for value in row):
        raise ValueError("counts cannot be negative")
    grid = _Grid(rows, rules.min_count,
                 published_rows=row_totals, published_columns=column_totals)
    grid.suppress()
    return grid.result(rules)


class _Grid:
    """The table with its totals as one (R+1) x (C+1) grid: row R holds the column totals,
    column C the row totals, (R, C) the grand total. Every row and every column of the grid
    is one equation: its cells add up to its total."""

    def __init__(self, rows: list[list[int]], min_count: int, *,
                 published_rows: bool, published_columns: bool) -> None:
        self.R, self.C = len(rows), len(rows[0])
        self.min_count = min_count
        column_sums = [sum(row[c] for row in rows) for c in range(self.C)]
        self.x = [[*row, sum(row)] for row in rows] + [[*column_sums, sum(column_sums)]]
        self.published = [[(r < self.R or published_columns) and (c < self.C or published_rows)
                           for c in range(self.C + 1)] for r in range(self.R + 1)]
        if not (published_rows and published_columns):
            self.published[self.R][self.C] = False
        # A cell nobody sees counts as suppressed from the start, at no cost.
        self.hidden = [[not self.published[r][c] for c in range(self.C + 1)]
                       for r in range(self.R + 1)]
        self.small = [[self.published[r][c] and self.x[r][c] < min_count
                       for c in range(self.C + 1)] for r in range(self.R + 1)]

    # --- what a reader knows of a suppressed cell ------------------------------------------

    def _bounds(self, r: int, c: int) -> tuple[float, float]:
        if not self.published[r][c]:
            return 0.0, _UNBOUNDED
        if self.small[r][c]:
            return 0.0, float(self.min_count - 1)
        return float(self.min_count), _UNBOUNDED

    def _sign(self, r: int, c: int, axis: str) -> int:
        """The cell's coefficient in its row ("r") or column ("c") equation: a total
        stands on the other side of the sum."""
        return -1 if (c == self.C if axis == "r" else r == self.R) else 1

    def _rectangle(self, r: int, c: int, k: int, m: int) -> list[tuple[int, int, int]]:
        """The cells of rows {r, k} x columns {c, m} with the direction (+1/-1) each moves
        in when (r, c) goes up by one and every equation still holds."""
        v_rc = 1
        v_rm = -self._sign(r, c, "r") * self._sign(r, m, "r") * v_rc
        v_kc = -self._sign(r, c, "c") * self._sign(k, c, "c") * v_rc
        v_km = -self._sign(k, c, "r") * self._sign(k, m, "r") * v_kc
        return [(r, c, v_rc), (r, m, v_rm), (k, c, v_kc), (k, m, v_km)]

    def _freedom(self, rectangle: list[tuple[int, int, int]]) -> float:
        """How far the rectangle can move while every cell stays within what the reader
        knows of it (0: the cells can be worked out)."""
        low, high = -_UNBOUNDED, _UNBOUNDED
        for r, c, direction in rectangle:
            lo, hi = self._bounds(r, c)
            value = self.x[r][c]
            # lo <= value + direction * t <= hi
            if direction > 0:
                low, high = max(low, lo - value), min(high, hi - value)
            else:
                low, high = max(low, value - hi), min(high, value - lo)
        return high - low

    # --- choosing what to hide -------------------------------------------------------------

    def _suppressed(self, r: int, c: int) -> bool:
        return self.hidden[r][c] or self.small[r][c]

    def _is_covered(self, r: int, c: int) -> bool:
        """(r, c) lies on a rectangle of suppressed cells that can move."""
        return any(
            self._suppressed(r, m) and self._suppressed(k, c) and self._suppressed(k, m)
            and self._freedom(self._rectangle(r, c, k, m)) > 0
            for k in range(self.R + 1) if k != r for m in range(self.C + 1) if m != c)

    def suppress(self) -> None:
        # Smallest first: their rectangles are cheapest to find among cells already hidden.
        order = sorted(((r, c) for r in range(self.R + 1) for c in range(self.C + 1)
                        if self.small[r][c]), key=lambda rc: (self.x[rc[0]][rc[1]], rc))
        for r, c in order:
            if self._is_covered(r, c):
                continue
            best: tuple[tuple[int, int, float], list[tuple[int, int]]] | None = None
            for k, m in itertools.product(range(self.R + 1), range(self.C + 1)):
                if k == r or m == c:
                    continue
                rectangle = self._rectangle(r, c, k, m)
                if self._freedom(rectangle) <= 0:
                    continue
                new = [(i, j) for i, j, _ in rectangle if not self._suppressed(i, j)]
                # Fewest new cells, then the least hidden, then the most room to move.
                cost = (len(new), sum(self.x[i][j] for i, j in new),
                        -self._freedom(rectangle))
                if best is None or cost < best[0]:
                    best = (cost, new)
            if best is None:
                # No rectangle can move (tiny tables of zeros and nines): hide them all.
                self.hidden = [[True] * (self.C + 1) for _ in range(self.R + 1)]
                return
            for i, j in best[1]:
                self.hidden[i][j] = True

    def result(self, rules: Rules) -> Protected:
        def cell(r: int, c: int) -> Cell:
            if self.small[r][c]:
                return Cell(Status.SMALL, None)
            if self.hidden[r][c]:
                return Cell(Status.HIDDEN, None)
            return Cell(Status.SHOWN, round_to(self.x[r][c], rules.rounding))

        R, C = self.R, self.C
        published_rows = self.published[0][C]
        published_columns = self.published[R][0]
        return Protected(
            cells=tuple(tuple(cell(r, c) for c in range(C)) for r in range(R)),
            row_totals=tuple(cell(r, C) for r in range(R)) if published_rows else None,
            column_totals=tuple(cell(R, c) for c in range(C)) if published_columns else None,
            total=cell(R, C) if self.published[R][C] else None,
            rules=rules,
        )


def _grid_of(table: Protected) -> list[list[Cell | None]]:
    R, C = len(table.cells), len(table.cells[0])
    grid: list[list[Cell | None]] = [[*row, None] for row in table.cells]
    grid.append([None] * (C + 1))
    if table.row_totals is not None:
        for r in range(R):
            grid[r][C] = table.row_totals[r]
    if table.column_totals is not None:
        for c in range(C):
            grid[R][c] = table.column_totals[c]
    grid[R][C] = table.total
    return grid
