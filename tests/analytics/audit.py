"""What an outsider can work out from a report file: for every "<5" of a sheet, the least
and greatest value it can take given what the sheet shows (its rows, columns and totals,
"<5" in 1…4, "n.d." at least 5), by linear programming on the file alone."""

from __future__ import annotations

import math
from typing import Any

from bot.analytics.suppression import SMALL, THRESHOLD, WITHHELD, feasible_range

ADDITIVE_SHEETS_EXCEPT = ("Definizioni", "Persone per")  # people are not additive
ROW_TOTALS = {"Contatti per città e argomento"}  # the only sheet with a total column


def _grid(worksheet: Any) -> tuple[list[list[object]], int]:
    rows = [list(r) for r in worksheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    width = sum(1 for h in header[1:] if h is not None)
    counts = [row[1 : 1 + width] for row in body]
    # derived columns (waits, means) are not counts; the first column is the counts'
    if worksheet.title in ("Attesa per lingua", "Soddisfazione"):
        counts = [row[1:2] for row in body]
    return counts, len(counts[0]) if counts else 0


def audit_sheet(worksheet: Any) -> list[str]:
    counts, width = _grid(worksheet)
    height = len(counts)
    lines = [[(i, j) for i in range(height)] for j in range(width)]
    if worksheet.title in ROW_TOTALS:
        lines += [[(i, j) for j in range(width)] for i in range(height)]
    known: dict[tuple[int, int], int] = {}
    bounds: dict[tuple[int, int], tuple[float, float | None]] = {}
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value == SMALL:
                bounds[(i, j)] = (1, THRESHOLD - 1)
            elif value == WITHHELD:
                bounds[(i, j)] = (THRESHOLD, None)
            else:
                known[(i, j)] = int(value)  # type: ignore[call-overload]
    problems = []
    for cell, (low, _) in bounds.items():
        if low != 1:
            continue
        least, greatest = feasible_range(lines, known, bounds, cell)
        if math.floor(greatest + 1e-6) - math.ceil(least - 1e-6) < 1:
            problems.append(f"{worksheet.title} {cell}: {least}..{greatest}")
    return problems


def audit_workbook(workbook: Any) -> list[str]:
    problems: list[str] = []
    for worksheet in workbook.worksheets:
        if worksheet.title.startswith(ADDITIVE_SHEETS_EXCEPT):
            problems += _no_single_hidden(worksheet)
            continue
        problems += audit_sheet(worksheet)
    return problems


def _no_single_hidden(worksheet: Any) -> list[str]:
    """People reached: a person may be in two rows, so the rows do not add up to the total;
    still, no column may have exactly one hidden value."""
    if worksheet.title == "Definizioni":
        return []
    counts, _ = _grid(worksheet)
    hidden = sum(1 for row in counts if row[0] in (SMALL, WITHHELD))
    return [f"{worksheet.title}: one hidden value"] if hidden == 1 else []
