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
totals are not published. A position in it is ``(row, column)`` in the grid with its totals:
the column totals are row ``len(counts)``, the row totals column ``len(counts[0])``.

What the reader knows besides the table, the library is told:

- ``known`` cells the reader knows exactly whatever the table shows (a move from a step to
  the same step is 0 by definition): they are never suppressed, and a rectangle through one
  cannot move, so they protect nothing;
- ``at_least`` what the reader knows a count is at least (a list of the reasons that
  occurred: a reason listed was given at least once; its total is at least the length of
  the list, which the library adds up itself);
- tables that share cells (:func:`protect_linked`): the same total in two tables, or the
  totals of two tables that add up to a third's. A reader puts the tables side by side, so
  such cells are suppressed in all of them or in none, and each table protects its own
  (a cell hidden in one table but worked out from the other's cells would be no help).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

__all__ = ["Cell", "Position", "Protected", "Rules", "Status", "Table", "protect",
           "protect_linked", "round_to"]

#: A cell of a table's grid with its totals: (row, column).
Position = tuple[int, int]

#: No upper bound for a hidden cell: the reader only knows it is at least ``min_count``.
_UNBOUNDED: Final = float("inf")
#: Nothing known beyond the table.
_NOTHING: Final[Mapping[Position, int]] = MappingProxyType({})


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
    ``total``; the totals are None where they are not published.

    ``all_hidden``: no choice of cells could protect them all (tiny tables of zeros and
    nines; a list of what occurred whose length says too much; a cell linked to another
    table that cannot move both ways), so every cell but the known ones is hidden. On its
    own such a table gives nothing away; a list of what occurred still shows how many
    things it lists, and a linked cell may not follow the other tables: leave those out."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None
    column_totals: tuple[Cell, ...] | None
    total: Cell | None
    rules: Rules
    all_hidden: bool = False

    def suppressed(self) -> list[tuple[int, int]]:
        """Every suppressed position in the full grid, totals at index ``len`` (for tests)."""
        grid = _grid_of(self)
        return [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
                if cell is not None and not cell.shown]


def round_to(value: int, base: int) -> int:
    """``value`` to the nearest multiple of ``base``, halves up (7 → 5, 8 → 10)."""
    return ((value + base // 2) // base) * base


@dataclass(frozen=True)
class Table:
    """A table for :func:`protect_linked`: its counts and what the reader sees and knows of
    it, as :func:`protect` takes them."""

    counts: Sequence[Sequence[int]]
    row_totals: bool = True
    column_totals: bool = True
    known: AbstractSet[Position] = frozenset()
    at_least: Mapping[Position, int] = field(default_factory=dict)


def protect(counts: Sequence[Sequence[int]], rules: Rules = Rules(), *,
            row_totals: bool = True, column_totals: bool = True,
            known: Iterable[Position] = (), at_least: Mapping[Position, int] = _NOTHING
            ) -> Protected:
    """Round and suppress ``counts`` (rows of non-negative counts, all the same length).

    ``row_totals``/``column_totals``: whether each row's/column's sum is published too (the
    grand total is published when both are). Totals that are not published still bind the
    table for a reader who can add up, so they are protected as if they were.

    ``known``: positions (totals included, as :meth:`Protected.suppressed` numbers them) the
    reader knows exactly without the table; they are shown (rounded) and never suppressed,
    and nothing is protected by leaning on them. ``at_least``: what the reader knows a
    position is at least (a reason listed was given at least once: 1 for each count of the
    list); a total is at least what its row or column is, without saying.

    Raises ValueError for a table that is not one (no cells, rows of different lengths, a
    negative count) or a position outside it."""
    return protect_linked([Table(counts, row_totals, column_totals, frozenset(known),
                                 at_least)], (), rules)[0]


def protect_linked(tables: Sequence[Table], links: Iterable[Iterable[tuple[int, Position]]],
                   rules: Rules = Rules()) -> tuple[Protected, ...]:
    """Round and suppress ``tables`` that a reader puts side by side, in their order.

    ``links``: groups of cells (``(table index, position)``) that hang together across the
    tables: the same count (the total of completed referrals shown per wijk and per domain),
    or counts that add up (the referrals to teams and to partners make all referrals). Where
    one cell of a group is suppressed, all are (hidden, or small where the count is), and
    each is protected in its own table both ways: the reader can move it up and down there
    (as far as what they know of it allows), so whichever way another table needs it to
    move, this one follows, and no cell of either is worked out by combining them.

    Raises ValueError as :func:`protect` does, and for a link to a table or a position that
    does not exist, is not published or is known."""
    grids = [_Grid.of(table, rules.min_count) for table in tables]
    groups = [list(link) for link in links]
    for group in groups:
        for index, (r, c) in group:
            if not 0 <= index < len(grids):
                raise ValueError(f"no table {index} to link")
            grids[index].link(r, c)
    while True:
        for grid in grids:
            grid.suppress()
        forced = False
        for group in groups:
            if any(grids[index].is_suppressed(r, c) for index, (r, c) in group):
                for index, (r, c) in group:
                    forced |= grids[index].force(r, c)
        if not forced:
            return tuple(grid.result(rules) for grid in grids)


def _check(table: Table) -> list[list[int]]:
    rows = [list(row) for row in table.counts]
    if not rows or not rows[0]:
        raise ValueError("a table needs at least one row and one column")
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every row needs the same number of cells")
    if any(value < 0 for row in rows for value in row):
        raise ValueError("counts cannot be negative")
    for r, c in (*table.known, *table.at_least):
        if not (0 <= r <= len(rows) and 0 <= c <= width):
            raise ValueError(f"the position {(r, c)} is not in the table")
    return rows


class _Grid:
    """The table with its totals as one (R+1) x (C+1) grid: row R holds the column totals,
    column C the row totals, (R, C) the grand total. Every row and every column of the grid
    is one equation: its cells add up to its total."""

    def __init__(self, rows: list[list[int]], min_count: int, *,
                 published_rows: bool, published_columns: bool,
                 known: AbstractSet[Position] = frozenset(),
                 at_least: Mapping[Position, int] = _NOTHING) -> None:
        self.R, self.C = len(rows), len(rows[0])
        self.min_count = min_count
        column_sums = [sum(row[c] for row in rows) for c in range(self.C)]
        self.x = [[*row, sum(row)] for row in rows] + [[*column_sums, sum(column_sums)]]
        self.floor = self._floors(at_least)
        self.known = self._known_from(set(known))
        self.published = [[(r < self.R or published_columns) and (c < self.C or published_rows)
                           for c in range(self.C + 1)] for r in range(self.R + 1)]
        if not (published_rows and published_columns):
            self.published[self.R][self.C] = False
        # A cell nobody sees counts as suppressed from the start, at no cost; a known one
        # is known however it is shown.
        self.hidden = [[not self.published[r][c] and (r, c) not in self.known
                        for c in range(self.C + 1)] for r in range(self.R + 1)]
        self.small = [[self.published[r][c] and (r, c) not in self.known
                       and self.x[r][c] < min_count
                       for c in range(self.C + 1)] for r in range(self.R + 1)]
        self.linked: set[Position] = set()
        self.covered: set[Position] = set()
        self.gave_up = False

    @classmethod
    def of(cls, table: Table, min_count: int) -> _Grid:
        return cls(_check(table), min_count, published_rows=table.row_totals,
                   published_columns=table.column_totals, known=table.known,
                   at_least=table.at_least)

    # --- what a reader knows of a suppressed cell ------------------------------------------

    def _floors(self, at_least: Mapping[Position, int]) -> list[list[int]]:
        """What the reader knows each cell is at least: ``at_least``, and for a total the
        sum of what its row's or column's cells are."""
        floor = [[at_least.get((r, c), 0) for c in range(self.C + 1)]
                 for r in range(self.R + 1)]
        if any(floor[r][c] > self.x[r][c] for r, c in at_least):
            raise ValueError("a reader cannot know a count is more than it is")
        R, C = self.R, self.C
        for r in range(R):
            floor[r][C] = max(floor[r][C], sum(floor[r][:C]))
        for c in range(C):
            floor[R][c] = max(floor[R][c], sum(floor[r][c] for r in range(R)))
        floor[R][C] = max(floor[R][C], sum(floor[R][:C]), sum(floor[r][C] for r in range(R)))
        return floor

    def _known_from(self, known: set[Position]) -> set[Position]:
        """``known`` and what a reader adds up from it alone: the last cell of a row or a
        column whose other cells are known."""
        lines = [[(r, c) for c in range(self.C + 1)] for r in range(self.R + 1)]
        lines += [[(r, c) for r in range(self.R + 1)] for c in range(self.C + 1)]
        while True:
            found = {unknown[0] for line in lines
                     if len(unknown := [cell for cell in line if cell not in known]) == 1}
            if not found:
                return known
            known |= found

    def _bounds(self, r: int, c: int) -> tuple[float, float]:
        if (r, c) in self.known:
            return float(self.x[r][c]), float(self.x[r][c])
        floor = self.floor[r][c]
        if not self.published[r][c]:
            return float(floor), _UNBOUNDED
        if self.small[r][c]:
            return float(floor), float(self.min_count - 1)
        return float(max(self.min_count, floor)), _UNBOUNDED

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

    def _range(self, rectangle: list[tuple[int, int, int]]) -> tuple[float, float]:
        """How far down and up (from 0) the rectangle's first cell can move while every cell
        stays within what the reader knows of it (0, 0: the cells can be worked out)."""
        low, high = -_UNBOUNDED, _UNBOUNDED
        for r, c, direction in rectangle:
            lo, hi = self._bounds(r, c)
            value = self.x[r][c]
            # lo <= value + direction * t <= hi
            if direction > 0:
                low, high = max(low, lo - value), min(high, hi - value)
            else:
                low, high = max(low, value - hi), min(high, value - lo)
        return low, high

    def _directions(self, r: int, c: int) -> list[int]:
        """The ways a suppressed cell must be able to move: any (0); for a linked cell up
        (+1) and down (-1), as far as its bounds let it."""
        if (r, c) not in self.linked:
            return [0]
        lo, hi = self._bounds(r, c)
        return [direction for direction, room in ((1, hi - self.x[r][c]),
                                                  (-1, self.x[r][c] - lo)) if room > 0]

    # --- choosing what to hide -------------------------------------------------------------

    def is_suppressed(self, r: int, c: int) -> bool:
        return self.hidden[r][c] or self.small[r][c]

    def link(self, r: int, c: int) -> None:
        if not (0 <= r <= self.R and 0 <= c <= self.C):
            raise ValueError(f"the position {(r, c)} is not in the table")
        if not self.published[r][c] or (r, c) in self.known:
            raise ValueError(f"a linked cell is published and not known: {(r, c)}")
        self.linked.add((r, c))

    def force(self, r: int, c: int) -> bool:
        """Suppress (r, c) because a table it is linked with does; whether it was not yet."""
        if self.is_suppressed(r, c):
            return False
        self.hidden[r][c] = True
        return True

    def _moves(self, rectangle: list[tuple[int, int, int]], direction: int) -> bool:
        low, high = self._range(rectangle)
        return high > 0 if direction > 0 else low < 0 if direction < 0 else high > low

    def _is_covered(self, r: int, c: int, direction: int) -> bool:
        """(r, c) lies on a rectangle of suppressed cells that can move (that way)."""
        return any(
            self.is_suppressed(r, m) and self.is_suppressed(k, c) and self.is_suppressed(k, m)
            and self._moves(self._rectangle(r, c, k, m), direction)
            for k in range(self.R + 1) if k != r for m in range(self.C + 1) if m != c)

    def _cover(self, r: int, c: int) -> bool:
        """Hide the cheapest rectangle(s) through (r, c) that it is not yet covered by;
        False when none can move (then everything is hidden)."""
        for direction in self._directions(r, c):
            if self._is_covered(r, c, direction):
                continue
            best: tuple[tuple[int, int, float], list[tuple[int, int]]] | None = None
            for k, m in itertools.product(range(self.R + 1), range(self.C + 1)):
                if k == r or m == c:
                    continue
                rectangle = self._rectangle(r, c, k, m)
                if not self._moves(rectangle, direction):
                    continue
                low, high = self._range(rectangle)
                new = [(i, j) for i, j, _ in rectangle if not self.is_suppressed(i, j)]
                # Fewest new cells (a linked one counts twice: the tables it is linked with
                # hide it too), then the least hidden, then the most room to move.
                cost = (len(new) + len(self.linked.intersection(new)),
                        sum(self.x[i][j] for i, j in new), low - high)
                if best is None or cost < best[0]:
                    best = (cost, new)
            if best is None:
                # No rectangle can move (tiny tables of zeros and nines): hide them all.
                self.hidden = [[(i, j) not in self.known for j in range(self.C + 1)]
                               for i in range(self.R + 1)]
                self.gave_up = True
                return False
            for i, j in best[1]:
                self.hidden[i][j] = True
        return True

    def suppress(self) -> None:
        """Cover every small cell, and every suppressed linked one, not covered yet. A cell
        hidden to cover another lies on its rectangle, so it is covered too (one way)."""
        while not self.gave_up:
            # Smallest first: their rectangles are cheapest to find among cells already hidden.
            todo = sorted(((r, c) for r in range(self.R + 1) for c in range(self.C + 1)
                           if (r, c) not in self.covered and (
                               self.small[r][c]
                               or ((r, c) in self.linked and self.hidden[r][c]))),
                          key=lambda rc: (self.x[rc[0]][rc[1]], rc))
            if not todo:
                return
            for r, c in todo:
                self.covered.add((r, c))
                if not self._cover(r, c):
                    return

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
            all_hidden=self.gave_up,
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
