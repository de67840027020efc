"""Small-cell suppression of a table with its totals.

Primary: a count from 1 to 4 is shown as "<5" (zero is shown: it is nobody).
Complementary: a line (a row with its total, a column with its total) never has exactly
one hidden cell; then every hidden small value is checked by linear programming against
what the table shows (its rows, columns and totals, a "<5" lies in 1…4, a complementary
cell in 5…∞): while one could be recomputed, the smallest visible cell of one of its
lines is hidden too (or the line's total, when none is left).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5
SMALL = "<5"
WITHHELD = "n.d."  # complementary: at least 5, withheld so that a "<5" cannot be derived

Cell = tuple[int, int]


class Mark(enum.Enum):
    SHOWN = 0
    SMALL = 1
    WITHHELD = 2


@dataclass
class Table:
    """Counts in rows × columns; the last row and column are the totals when `totals`."""

    rows: list[str]
    columns: list[str]
    values: list[list[int]]
    row_totals: bool = True  # the last column is each row's total
    marks: list[list[Mark]] = field(default_factory=list)

    @classmethod
    def with_totals(
        cls,
        rows: Sequence[str],
        columns: Sequence[str],
        values: Sequence[Sequence[int]],
        total_label: str,
        *,
        row_totals: bool = True,
    ) -> Table:
        """Adds a total row, and a total column when there are several columns and the
        columns partition the row (`row_totals`)."""
        grid = [list(row) for row in values]
        out_columns = list(columns)
        row_totals = row_totals and len(out_columns) > 1
        if row_totals:
            grid = [[*row, sum(row)] for row in grid]
            out_columns.append(total_label)
        width = len(out_columns)
        grid.append([sum(row[j] for row in grid) for j in range(width)] if grid else [0] * width)
        return cls([*rows, total_label], out_columns, grid, row_totals)

    def display(self, i: int, j: int) -> int | str:
        mark = self.marks[i][j]
        if mark == Mark.SMALL:
            return SMALL
        if mark == Mark.WITHHELD:
            return WITHHELD
        return self.values[i][j]

    def lines(self) -> list[list[Cell]]:
        """Each line: its cells, the last one being the line's total."""
        height, width = len(self.values), len(self.columns)
        lines = [[(i, j) for i in range(height)] for j in range(width)]
        if self.row_totals:
            lines += [[(i, j) for j in range(width)] for i in range(height)]
        return lines


def suppress(table: Table, additive: bool = True) -> Table:
    """Mark the cells to withhold. `additive`: the cells of a line sum to its total (then
    checked by linear programming); otherwise (people reached, where one person may be in
    two rows) only the rule of no line with a single hidden cell applies."""
    table.marks = [
        [Mark.SMALL if 0 < v < THRESHOLD else Mark.SHOWN for v in row] for row in table.values
    ]
    while True:
        _no_single_hidden(table)
        if not additive:
            return table
        pinned = next((cell for cell in _small_cells(table) if recomputable(table, cell)), None)
        if pinned is None:
            return table
        _withhold_next_to(table, pinned)


def _small_cells(table: Table) -> list[Cell]:
    return [
        (i, j)
        for i, row in enumerate(table.marks)
        for j, mark in enumerate(row)
        if mark == Mark.SMALL
    ]


def _hidden(table: Table, cell: Cell) -> bool:
    return table.marks[cell[0]][cell[1]] != Mark.SHOWN


def _no_single_hidden(table: Table) -> None:
    changed = True
    while changed:
        changed = False
        for line in table.lines():
            hidden = [c for c in line if _hidden(table, c)]
            if len(hidden) == 1 and _withhold_in(table, line):
                changed = True


def _withhold_in(table: Table, line: list[Cell]) -> bool:
    """Withhold the smallest visible non-zero cell of the line (its total last)."""
    visible = [c for c in line[:-1] if not _hidden(table, c) and table.values[c[0]][c[1]] > 0]
    if not visible and not _hidden(table, line[-1]):
        visible = [line[-1]]
    if not visible:
        return False
    i, j = min(visible, key=lambda c: table.values[c[0]][c[1]])
    table.marks[i][j] = Mark.WITHHELD
    return True


def _withhold_next_to(table: Table, cell: Cell) -> None:
    for line in sorted(table.lines(), key=len):
        if cell in line and _withhold_in(table, line):
            return
    # its lines are all hidden already: the smallest visible count anywhere (totals too)
    visible = [
        (i, j)
        for i, row in enumerate(table.values)
        for j, v in enumerate(row)
        if v > 0 and table.marks[i][j] == Mark.SHOWN
    ]
    if not visible:
        raise RuntimeError("a small count stays derivable with nothing left to hide")
    i, j = min(visible, key=lambda c: table.values[c[0]][c[1]])
    table.marks[i][j] = Mark.WITHHELD


# --- the audit: what can be derived from the shown table --------------------------------


def bounds_of(marks: Sequence[Sequence[Mark]]) -> dict[Cell, tuple[float, float | None]]:
    bounds: dict[Cell, tuple[float, float | None]] = {}
    for i, row in enumerate(marks):
        for j, mark in enumerate(row):
            if mark == Mark.SMALL:
                bounds[(i, j)] = (1, THRESHOLD - 1)
            elif mark == Mark.WITHHELD:
                bounds[(i, j)] = (THRESHOLD, None)
    return bounds


def feasible_range(
    lines: Sequence[Sequence[Cell]],
    known: dict[Cell, int],
    bounds: dict[Cell, tuple[float, float | None]],
    cell: Cell,
) -> tuple[float, float]:
    """The least and greatest value `cell` can take given the shown lines (each line's
    cells sum to its last cell), the shown values and the bounds of hidden ones."""
    unknown = sorted(bounds)
    index = {c: k for k, c in enumerate(unknown)}
    rows_a, rows_b = [], []
    for line in lines:
        coefficients = np.zeros(len(unknown))
        constant = 0.0
        for position, c in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if c in index:
                coefficients[index[c]] += sign
            else:
                constant += sign * known[c]
        if coefficients.any():
            rows_a.append(coefficients)
            rows_b.append(-constant)
    objective = np.zeros(len(unknown))
    objective[index[cell]] = 1.0
    ranges = []
    for sign in (1.0, -1.0):
        result = linprog(
            sign * objective,
            A_eq=np.array(rows_a) if rows_a else None,
            b_eq=np.array(rows_b) if rows_b else None,
            bounds=[bounds[c] for c in unknown],
            method="highs",
        )
        ranges.append(sign * result.fun if result.success else math.nan)
    return ranges[0], ranges[1]


def recomputable(table: Table, cell: Cell) -> bool:
    known = {
        (i, j): v
        for i, row in enumerate(table.values)
        for j, v in enumerate(row)
        if table.marks[i][j] == Mark.SHOWN
    }
    low, high = feasible_range(table.lines(), known, bounds_of(table.marks), cell)
    if math.isnan(low) or math.isnan(high):
        return False
    return math.floor(high + 1e-6) - math.ceil(low - 1e-6) < 1
